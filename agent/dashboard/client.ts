// The dashboard's script, run by the browser. It is written here so that tsc checks it against the
// DOM types, and page.ts inlines its source text: the function must use nothing from outside its
// own body (no imports, no module-level names) and must not contain a closing script tag. Type
// imports are fine: tsc erases them.
import type { DashboardProcess } from './process-view.js';

/** Runs in the page: the live table with charts, the selected process's log, the action buttons. */
export function dashboardClient(): void {
  /** Samples kept per process for the charts: one a second, one minute. */
  const HISTORY = 60;
  /** Log lines kept in the panel. */
  const MAX_LOG_LINES = 1000;
  const ACTIONS = ['restart', 'reload', 'stop'] as const;
  const SVG = 'http://www.w3.org/2000/svg';

  /** The rows the agent sends: process-view.ts says which fields (types only: nothing is imported at run time). */
  type Proc = DashboardProcess;
  interface Row {
    element: HTMLTableRowElement;
    cells: Record<'status' | 'pid' | 'uptime' | 'restarts' | 'cpu' | 'memory', HTMLElement>;
    cpuChart: SVGSVGElement;
    memoryChart: SVGSVGElement;
  }

  const token = new URLSearchParams(location.search).get('token');
  const withToken = (path: string): string => (token ? `${path}?token=${encodeURIComponent(token)}` : path);
  const byId = <T extends Element>(id: string): T => document.getElementById(id) as unknown as T;

  const tbody = byId<HTMLTableSectionElement>('process-rows');
  const empty = byId<HTMLElement>('empty');
  const connection = byId<HTMLElement>('connection');
  const notice = byId<HTMLElement>('notice');
  const detail = byId<HTMLElement>('detail');
  const logPanel = byId<HTMLElement>('log');

  const rows = new Map<number, Row>();
  const history = new Map<number, { cpu: number[]; memory: number[] }>();
  const latest = new Map<number, Proc>();
  let selected: number | null = null;
  let logSource: EventSource | null = null;

  const formatMemory = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  const formatUptime = (proc: Proc, now: number): string => {
    if (proc.status !== 'online') return '-';
    const seconds = Math.max(0, Math.floor((now - proc.pm_uptime) / 1000));
    if (seconds < 60) return `${seconds}s`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
    return `${Math.floor(seconds / 86400)}d`;
  };

  const cell = (row: HTMLTableRowElement, className: string, text = ''): HTMLTableCellElement => {
    const td = row.insertCell();
    td.className = className;
    td.textContent = text;
    return td;
  };

  /** An SVG line chart scaled to its box; `drawChart` fills it. */
  const chart = (className: string): SVGSVGElement => {
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', `chart ${className}`);
    svg.setAttribute('viewBox', `0 0 ${HISTORY - 1} 100`);
    svg.setAttribute('preserveAspectRatio', 'none');
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('vector-effect', 'non-scaling-stroke');
    svg.appendChild(line);
    return svg;
  };
  const drawChart = (svg: SVGSVGElement, values: number[], floor: number): void => {
    const max = Math.max(floor, ...values);
    const offset = HISTORY - values.length;
    const points = values.map((value, index) => `${offset + index},${(100 - (value / max) * 90).toFixed(1)}`);
    svg.firstElementChild!.setAttribute('points', points.join(' '));
  };

  const createRow = (proc: Proc): Row => {
    const element = tbody.insertRow();
    element.dataset.pmId = String(proc.pm_id);
    element.dataset.name = proc.name;
    cell(element, 'id', String(proc.pm_id));
    cell(element, 'name', proc.name).title = `namespace ${proc.namespace}`;
    cell(element, 'mode', proc.exec_mode === 'cluster_mode' ? 'cluster' : 'fork');
    const status = document.createElement('span');
    cell(element, 'status-cell').appendChild(status);
    const cells = { status, pid: cell(element, 'pid'), uptime: cell(element, 'uptime'), restarts: cell(element, 'restarts'), cpu: document.createElement('span'), memory: document.createElement('span') };
    const cpuChart = chart('cpu');
    const memoryChart = chart('memory');
    cell(element, 'cpu').append(cells.cpu, cpuChart);
    cell(element, 'memory').append(cells.memory, memoryChart);
    const actions = cell(element, 'actions');
    for (const action of ACTIONS) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = action;
      button.dataset.action = action;
      button.addEventListener('click', (event) => {
        event.stopPropagation();
        void act(action, proc.pm_id, button);
      });
      actions.appendChild(button);
    }
    element.addEventListener('click', () => select(proc.pm_id));
    return { element, cells, cpuChart, memoryChart };
  };

  const render = (sample: { at: number; processes: Proc[] }): void => {
    const seen = new Set<number>();
    for (const proc of sample.processes) {
      seen.add(proc.pm_id);
      latest.set(proc.pm_id, proc);
      const past = history.get(proc.pm_id) ?? { cpu: [], memory: [] };
      past.cpu = [...past.cpu, proc.cpu].slice(-HISTORY);
      past.memory = [...past.memory, proc.memory / 1024 / 1024].slice(-HISTORY);
      history.set(proc.pm_id, past);
      let row = rows.get(proc.pm_id);
      if (!row) {
        row = createRow(proc);
        rows.set(proc.pm_id, row);
      }
      row.cells.status.textContent = (proc.health ? `${proc.status} (${proc.health})` : proc.status) + (proc.notify_status ? ` · ${proc.notify_status}` : '');
      row.cells.status.className = `status status-${proc.status.replace(/ /g, '-')}`;
      row.cells.pid.textContent = proc.pid > 0 ? String(proc.pid) : '-';
      row.cells.uptime.textContent = formatUptime(proc, sample.at);
      row.cells.restarts.textContent = String(proc.restart_time);
      row.cells.cpu.textContent = `${proc.cpu}%`;
      row.cells.memory.textContent = formatMemory(proc.memory);
      drawChart(row.cpuChart, past.cpu, 100);
      drawChart(row.memoryChart, past.memory, 1);
    }
    for (const [id, row] of rows) {
      if (seen.has(id)) continue;
      row.element.remove();
      rows.delete(id);
      history.delete(id);
      latest.delete(id);
      if (selected === id) select(null);
    }
    empty.hidden = rows.size > 0;
    if (selected !== null) renderDetail(selected);
  };

  const renderDetail = (id: number): void => {
    const proc = latest.get(id);
    const past = history.get(id);
    if (!proc || !past) return;
    byId<HTMLElement>('detail-title').textContent = `${proc.name} (id ${proc.pm_id}) · ${proc.status}`;
    byId<HTMLElement>('cpu-now').textContent = `${proc.cpu}%`;
    byId<HTMLElement>('memory-now').textContent = formatMemory(proc.memory);
    drawChart(byId<SVGSVGElement>('cpu-chart'), past.cpu, 100);
    drawChart(byId<SVGSVGElement>('memory-chart'), past.memory, 1);
  };

  const appendLog = (lines: { stream: 'out' | 'err'; text: string }[], skipped: number): void => {
    const stick = logPanel.scrollTop + logPanel.clientHeight >= logPanel.scrollHeight - 4;
    const add = (text: string, className: string): void => {
      const div = document.createElement('div');
      div.className = className;
      div.textContent = text;
      logPanel.appendChild(div);
    };
    for (const line of lines) add(line.text, `line ${line.stream}`);
    if (skipped > 0) add(`… ${skipped} lines skipped`, 'line skipped');
    while (logPanel.childElementCount > MAX_LOG_LINES) logPanel.firstElementChild!.remove();
    if (stick) logPanel.scrollTop = logPanel.scrollHeight;
  };

  /** Shows the charts and follows the log of process `id` (null: none). */
  const select = (id: number | null): void => {
    logSource?.close();
    logSource = null;
    for (const [rowId, row] of rows) row.element.classList.toggle('selected', rowId === id);
    selected = id;
    detail.hidden = id === null;
    logPanel.replaceChildren();
    if (id === null) return;
    renderDetail(id);
    logSource = new EventSource(withToken(`api/processes/${id}/logs`));
    logSource.addEventListener('lines', (event) => {
      const { lines, skipped } = JSON.parse((event as MessageEvent<string>).data) as { lines: { stream: 'out' | 'err'; text: string }[]; skipped: number };
      appendLog(lines, skipped);
    });
  };

  const act = async (action: string, id: number, button: HTMLButtonElement): Promise<void> => {
    const name = latest.get(id)?.name ?? `id ${id}`;
    button.disabled = true;
    notice.textContent = `${action} ${name}…`;
    try {
      const response = await fetch(withToken(`api/processes/${id}/${action}`), { method: 'POST', headers: { 'X-Pmx-Dashboard': '1' } });
      const body = (await response.json()) as { error?: string };
      notice.textContent = response.ok ? `${action} ${name}: done` : `${action} ${name} failed: ${body.error ?? response.status}`;
    } catch (error) {
      notice.textContent = `${action} ${name} failed: ${(error as Error).message}`;
    } finally {
      button.disabled = false;
    }
  };

  const list = new EventSource(withToken('api/events'));
  list.addEventListener('list', (event) => render(JSON.parse((event as MessageEvent<string>).data) as { at: number; processes: Proc[] }));
  list.addEventListener('open', () => {
    connection.textContent = 'live';
    connection.className = 'live';
  });
  list.addEventListener('error', () => {
    connection.textContent = 'disconnected, retrying…';
    connection.className = 'down';
  });
}
