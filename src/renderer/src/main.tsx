import './zod-config';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { isReportHash, reportParams } from './report/params';

const root = createRoot(document.getElementById('root')!);
// The report route reads its address before anything connects (the HTTP transport takes its
// token out of the address bar), and the app connects when its module loads: load one or the other.
if (isReportHash(window.location.hash)) {
  const params = reportParams(window.location.hash);
  void Promise.all([import('./report/Report'), import('./api/client')]).then(([{ Report }, { connect }]) =>
    root.render(
      <StrictMode>
        <Report params={params} connection={connect()} />
      </StrictMode>,
    ),
  );
} else {
  void import('./App').then(({ App }) =>
    root.render(
      <StrictMode>
        <App />
      </StrictMode>,
    ),
  );
}
