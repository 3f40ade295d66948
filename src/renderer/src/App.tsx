import { Background, Controls, ReactFlow } from '@xyflow/react';
import { useMemo, useState } from 'react';
import { connect } from './api/client';
import { nodeTypes } from './canvas/HostNode';
import { toFlow } from './canvas/toFlow';
import { useStore } from './store';

const client = connect();

export function App() {
  const project = useStore((s) => s.project);
  const busy = useStore((s) => s.busy);
  const error = useStore((s) => s.error);
  const [dir, setDir] = useState('');
  const flow = useMemo(() => (project?.topology ? toFlow(project.topology) : { nodes: [], edges: [] }), [project]);

  const open = async () => {
    if (!client) return;
    const { setBusy, setProject, setError } = useStore.getState();
    setBusy(true);
    try {
      setProject(await client['project.open']({ dir }));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="app">
      <header className="toolbar">
        <strong>Overlab</strong>
        <form onSubmit={(e) => { e.preventDefault(); void open(); }}>
          <input aria-label="Project folder" placeholder="/path/to/project" value={dir} onChange={(e) => setDir(e.target.value)} />
          <button type="submit" disabled={busy || !client || dir === ''}>Open</button>
        </form>
        {!client ? <span className="warn">No engine connected.</span> : null}
        {project?.topology ? <span>{project.topology.name} — {project.topology.hosts.length} hosts, {project.topology.links.length} links</span> : null}
      </header>
      <main className="canvas">
        <ReactFlow nodes={flow.nodes} edges={flow.edges} nodeTypes={nodeTypes} fitView>
          <Background />
          <Controls />
        </ReactFlow>
      </main>
      {error || (project && project.diagnostics.length > 0) ? (
        <aside className="problems" role="status">
          {error ? <div className="diag error">{error}</div> : null}
          {project?.diagnostics.map((d, i) => (
            <div key={i} className={`diag ${d.severity}`}>
              <code>{d.path || '(document)'}</code>{d.line ? ` (line ${d.line})` : ''}: {d.message}
            </div>
          ))}
        </aside>
      ) : null}
    </div>
  );
}
