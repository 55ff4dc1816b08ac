const squares = [1, 2, 3, 4].map((n) => n * n);
console.log('hello from QuickJS', squares);
