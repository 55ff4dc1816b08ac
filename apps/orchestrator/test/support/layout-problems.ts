/**
 * What is visibly wrong with a page's layout, found in the page itself (pass `findLayoutProblems`
 * to playwright's `page.evaluate`, so it must not reach anything outside its own body). It looks
 * at what a person would see at the current width: a page wider than the screen, an element that
 * pokes out of the screen or out of its box, a box drawn with nothing in it (a panel with only
 * its heading counts), two badges touching, and a short label (pill, badge, button, tab, header
 * item) wrapping onto a second line. Each problem is one line naming the element.
 */
export function findLayoutProblems(): string[] {
  const problems: string[] = [];
  const viewport = document.documentElement.clientWidth;
  const CONTROLS = 'input, textarea, select, button, img, svg, canvas, video, iframe';
  const ONE_LINE = 'header.top > *, nav a, .pill, .status, button';

  const describe = (element: Element): string => {
    const testId = element.getAttribute('data-testid');
    const id = element.id;
    const className = typeof element.className === 'string' ? element.className.trim().split(/\s+/)[0] : '';
    const label = testId ? `[data-testid=${testId}]` : id ? `#${id}` : className ? `.${className}` : '';
    const text = (element.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return `<${element.tagName.toLowerCase()}${label}>${text ? ` "${text}"` : ''}`;
  };
  const isShown = (element: Element): boolean => {
    const box = element.getBoundingClientRect();
    // checkVisibility: false too inside a closed <details>, whose content keeps a box but is not drawn.
    return box.width > 0 && box.height > 0 && element.checkVisibility({ visibilityProperty: true });
  };
  // Inside a box that scrolls or clips sideways, content may be wider than the screen: the box
  // itself is what must fit.
  const insideScroller = (element: Element): boolean => {
    for (let parent = element.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
      if (getComputedStyle(parent).overflowX !== 'visible') return true;
    }
    return false;
  };
  const lineCount = (element: Element): number => {
    const tops: number[] = [];
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent?.trim()) continue;
      range.selectNodeContents(node);
      for (const rect of range.getClientRects()) if (rect.width > 0) tops.push(rect.top);
    }
    tops.sort((a, b) => a - b);
    let lines = 0;
    let last = Number.NEGATIVE_INFINITY;
    for (const top of tops) {
      if (top - last > 6) lines++;
      if (top - last > 6) last = top;
    }
    return lines;
  };
  const hasContent = (element: Element): boolean =>
    (element as HTMLElement).innerText.trim() !== '' || element.querySelector(CONTROLS) !== null;
  const isDrawn = (style: CSSStyleDeclaration): boolean => {
    const border = ['Top', 'Right', 'Bottom', 'Left'].some(
      (side) =>
        Number.parseFloat(style.getPropertyValue(`border-${side.toLowerCase()}-width`)) > 0 &&
        style.getPropertyValue(`border-${side.toLowerCase()}-style`) !== 'none',
    );
    const background = style.backgroundImage !== 'none' || !/^(transparent|rgba\(.*,\s*0\))$/.test(style.backgroundColor);
    return border || background;
  };

  const width = document.documentElement.scrollWidth;
  if (width > viewport) problems.push(`the page is ${width} px wide on a ${viewport} px screen, so it scrolls sideways`);

  const shown = [...document.body.querySelectorAll('*')].filter(isShown);
  for (const element of shown) {
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    if (!insideScroller(element) && (box.right > viewport + 0.5 || box.left < -0.5)) {
      problems.push(`${describe(element)} pokes out of the screen (${Math.round(box.left)}..${Math.round(box.right)} px of ${viewport})`);
    }
    if (style.overflowX === 'visible' && style.display !== 'inline' && element.clientWidth > 0) {
      const excess = element.scrollWidth - element.clientWidth;
      if (excess > 1) problems.push(`the content of ${describe(element)} pokes out of it by ${excess} px`);
    }
    if (element.matches(CONTROLS) || element.closest('button, select')) continue;
    if (element.classList.contains('panel')) {
      const body = [...element.children].filter((child) => child.tagName !== 'H2' && isShown(child));
      if (!body.some(hasContent)) problems.push(`${describe(element)} is a panel with nothing under its heading`);
    } else if (isDrawn(style) && !hasContent(element)) {
      problems.push(`${describe(element)} is an empty box (${Math.round(box.width)}×${Math.round(box.height)} px)`);
    }
  }

  for (const element of shown.filter((candidate) => candidate.matches(ONE_LINE))) {
    const lines = lineCount(element);
    if (lines > 1) problems.push(`${describe(element)} wraps onto ${lines} lines`);
  }

  const badges = shown.filter((element) => element.matches('.status'));
  for (const [index, first] of badges.entries()) {
    for (const second of badges.slice(index + 1)) {
      const a = first.getBoundingClientRect();
      const b = second.getBoundingClientRect();
      const sameLine = a.top < b.bottom && b.top < a.bottom;
      const gap = Math.max(b.left - a.right, a.left - b.right);
      if (sameLine && gap < 4) problems.push(`${describe(first)} and ${describe(second)} touch (${Math.round(gap)} px apart)`);
    }
  }
  return problems;
}
