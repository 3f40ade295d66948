import { Background, Controls, ReactFlow } from '@xyflow/react';
import { useEffect, useMemo } from 'react';
import { connect } from './api/client';
import { nodeTypes } from './canvas/HostNode';
import { edgeTypes } from './canvas/LinkEdge';
import { toFlow } from './canvas/toFlow';
import { SidePanel } from './panels/SidePanel';
import { loadKinds, loadProject } from './project';
import { useStore } from './store';

// Once per page load: the HTTP transport takes its token out of the URL.
const connection = connect();
const client = connection?.client;

// Loads the project the engine was started with; module-level so StrictMode's double
// effect run does not open it twice.
let started = false;
function startOnce(): void {
  if (started || !connection) return;
  started = true;
  void loadKinds(connection.client);
  connection
    .startDir()
    .then((dir) => (dir ? loadProject(connection.client, dir) : undefined))
    .catch((e: unknown) => useStore.getState().setError(e instanceof Error ? e.message : String(e)));
}

function Toolbar() {
  const project = useStore((s) => s.project);
  const busy = useStore((s) => s.busy);
  const t = project?.topology;
  return (
    <header className="toolbar">
      <strong className="brand">Overlab</strong>
      {t ? (
        <span className="title">
          {t.name} <span className="muted">— {t.shape}, {t.hosts.length} hosts, {t.links.length} links</span>
        </span>
      ) : null}
      <form
        className="open"
        onSubmit={(e) => {
          e.preventDefault();
          const dir = String(new FormData(e.currentTarget).get('dir') ?? '').trim();
          if (client && dir) void loadProject(client, dir);
        }}
      >
        {/* Keyed on the folder so it shows the opened project without an effect. */}
        <input key={project?.dir ?? ''} name="dir" aria-label="Project folder" placeholder="/path/to/project" defaultValue={project?.dir ?? ''} />
        <button type="submit" disabled={busy || !client}>Open</button>
      </form>
    </header>
  );
}

const NODE_ORIGIN: [number, number] = [0.5, 0.5];
// A small project is not blown up to fill the window: text stays at reading size.
const FIT_VIEW = { padding: 0.2, maxZoom: 1.2 };

function Canvas() {
  const project = useStore((s) => s.project);
  const planned = useStore((s) => s.planned);
  const flow = useMemo(() => (project?.topology ? toFlow(project.topology, planned) : undefined), [project, planned]);
  if (!flow) {
    return (
      <div className="empty">
        {project ? (
          <p>The project in <code>{project.dir}</code> could not be loaded: its problems are listed on the right.</p>
        ) : client ? (
          <p>Open a project folder (one with an <code>overlab.yaml</code>), or create one with <code>overlab new DIR --template hub-spoke</code>.</p>
        ) : (
          <p>No engine connected. Run <code>overlab serve DIR</code> and open the URL it prints (it carries the session token), or start the desktop app.</p>
        )}
      </div>
    );
  }
  return (
    // Keyed on the folder: a newly opened project gets a fresh viewport fitted to it.
    <ReactFlow
      key={project?.dir}
      nodes={flow.nodes}
      edges={flow.edges}
      nodeTypes={nodeTypes}
      edgeTypes={edgeTypes}
      // Positions are host centres: templates place spokes on a circle around the hub's.
      nodeOrigin={NODE_ORIGIN}
      nodesDraggable={false}
      nodesConnectable={false}
      elementsSelectable={false}
      fitView
      fitViewOptions={FIT_VIEW}
      minZoom={0.2}
    >
      <Background gap={24} />
      <Controls showInteractive={false} />
    </ReactFlow>
  );
}

function Workspace() {
  // Nothing to detail before a project is open (or an error is to be shown).
  const side = useStore((s) => s.project !== undefined || s.error !== undefined);
  return (
    <div className={side ? 'workspace' : 'workspace no-side'}>
      <main className="canvas" aria-label="Topology">
        <Canvas />
      </main>
      {side ? <SidePanel /> : null}
    </div>
  );
}

function StatusBar() {
  const busy = useStore((s) => s.busy);
  const activity = useStore((s) => s.activity);
  return (
    <footer className="status" role="status">
      <span>{connection ? (connection.via === 'serve' ? `engine: overlab serve (${window.location.host})` : 'engine: desktop app') : 'engine: not connected'}</span>
      {busy ? <span>working…</span> : null}
      {activity ? <span className="activity">{activity}</span> : null}
    </footer>
  );
}

export function App() {
  useEffect(() => {
    startOnce();
    if (!client) return;
    const { setActivity } = useStore.getState();
    const offProgress = client.on('progress', (e) => setActivity(`${e.operation}${e.host ? ` ${e.host}` : ''}: ${e.step} ${e.status}${e.message ? ` — ${e.message}` : ''}`));
    const offLog = client.on('log', (e) => setActivity(`${e.host ? `${e.host}: ` : ''}${e.line}`));
    return () => {
      offProgress();
      offLog();
    };
  }, []);

  return (
    <div className="app">
      <Toolbar />
      <Workspace />
      <StatusBar />
    </div>
  );
}
