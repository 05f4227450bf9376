// Copy buttons: <button data-copy="input-id">; the result is announced politely.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copy);
  const said = button.parentElement.querySelector(".copied");
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
  } catch (e) {
    document.execCommand("copy");
  }
  if (said) said.textContent = button.dataset.copied || "✓";
});
