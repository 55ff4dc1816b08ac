import platform, statistics

print("hello from the UMCA sandbox")
print("python", platform.python_version(), "mean of 1..10 =", statistics.mean(range(1, 11)))
