import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { applyPaletteToDocument } from './components/charts/palette.ts';
import './styles/base.css';
import './styles/shell.css';
import './styles/components.css';
import './styles/admin.css';

applyPaletteToDocument();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
