export function RecipientApp() {
  return (
    <section class="card">
      <h1>Shared file</h1>
      <p>Loading…</p>
    </section>
  );
}
