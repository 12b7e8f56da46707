// Small DOM helpers. Every value from the API is set as text (textContent), never as HTML:
// metadata, descriptions and broker errors are data, not markup.

export function byId(id) {
  return document.getElementById(id);
}

/** A problem from the API (its title and detail) in the page's alert region. */
export function showProblem(problem) {
  const region = byId('problem');
  byId('problem-title').textContent = problem.title ?? 'Something went wrong';
  byId('problem-detail').textContent = problem.detail ?? String(problem.message ?? problem);
  region.hidden = false;
}

export function clearMessages() {
  byId('problem').hidden = true;
  byId('notice').textContent = '';
}

export function showNotice(text) {
  byId('notice').textContent = text;
}

/** Replaces a <dl>'s content with [term, value] pairs. */
export function fillFields(list, pairs) {
  list.replaceChildren(
    ...pairs.flatMap(([term, value]) => [element('dt', term), element('dd', value)]),
  );
}

/** Replaces a table body's rows; each cell is text, a node, or {text, className}. */
export function fillRows(tableBody, rows, emptyText) {
  if (rows.length === 0) {
    const cell = element('td', emptyText);
    cell.colSpan = tableBody.parentElement.tHead.rows[0].cells.length;
    tableBody.replaceChildren(element('tr', cell));
    return;
  }
  tableBody.replaceChildren(...rows.map((cells) => element('tr', ...cells.map(cellOf))));
}

function cellOf(cell) {
  if (cell instanceof Node) return element('td', cell);
  if (cell !== null && typeof cell === 'object') {
    const td = element('td', cell.text);
    td.className = cell.className;
    return td;
  }
  return element('td', cell);
}

export function element(name, ...children) {
  const node = document.createElement(name);
  node.append(...children.map((child) => (child instanceof Node ? child : String(child ?? ''))));
  return node;
}

export function button(text, label, onClick) {
  const node = element('button', text);
  node.type = 'button';
  if (label) node.setAttribute('aria-label', label);
  node.addEventListener('click', onClick);
  return node;
}

/** Runs an action with its control marked busy, showing a failure as the API's problem. */
export async function guarded(control, action) {
  clearMessages();
  control?.setAttribute('aria-busy', 'true');
  try {
    await action();
  } catch (error) {
    showProblem(error);
    byId('problem').focus();
  } finally {
    control?.removeAttribute('aria-busy');
  }
}

export function when(isoTime) {
  return isoTime ? new Date(isoTime).toLocaleString() : '';
}
