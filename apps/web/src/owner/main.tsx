import { render } from 'preact';

/** Placeholder until the owners' app lands (web-owner, issue 17). */
function OwnerApp() {
  return (
    <section class="card">
      <h1>Coffer</h1>
      <p>The owners' web app is coming; use the <code>coffer</code> CLI meanwhile.</p>
    </section>
  );
}

render(<OwnerApp />, document.getElementById('root')!);
