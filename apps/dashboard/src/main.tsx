import '@mantine/core/styles.css';
import { Badge, createTheme, MantineProvider } from '@mantine/core';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './app';
import { SessionProvider } from './auth';

// Contrast (WCAG AA 4.5:1, axe reports less as serious): links and buttons in shade 8 of their
// color (Mantine's default 6 is too light on white and striped rows); badges tinted light with
// near-black text, the color being a second cue next to the word.
const theme = createTheme({
  primaryShade: { light: 8, dark: 5 },
  components: {
    Badge: Badge.extend({
      defaultProps: { variant: 'light' },
      vars: (_theme, props) => (props.variant === 'outline' ? { root: {} } : { root: { '--badge-color': 'var(--mantine-color-dark-9)' } }),
    }),
  },
});

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="light">
      <SessionProvider>
        <BrowserRouter basename="/dashboard">
          <App />
        </BrowserRouter>
      </SessionProvider>
    </MantineProvider>
  </StrictMode>,
);
