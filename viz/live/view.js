// The training view's front end (anywidget): buttons, a slider and the pictures the kernel drew.
//
// The kernel sends one `frame` at a time: the step shown, the steps taken, a caption, the
// status and the pictures (SVG, drawn in Python). Buttons and the slider send messages back:
// {do: "play" | "pause" | "step" | "seek", step}. A view first says hello; until the kernel
// answers (a stored notebook has no kernel behind it) the controls stay disabled and the view
// shows the frame it was stored with.

const STYLE = `
.agc-training { font: 13px/1.4 var(--jp-ui-font-family, system-ui, sans-serif);
  color: var(--jp-ui-font-color1, #1f2937); }
.agc-training .agc-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px;
  margin: 2px 0 6px; }
.agc-training button { font: inherit; min-width: 64px; padding: 2px 8px; cursor: pointer;
  color: var(--jp-ui-font-color1, #1f2937); background: var(--jp-layout-color2, #eee);
  border: 1px solid var(--jp-border-color1, #999); border-radius: 3px; }
.agc-training button:disabled { cursor: default; opacity: 0.45; }
.agc-training input[type=range] { flex: 1 1 160px; min-width: 120px; }
.agc-training .agc-caption { font-variant-numeric: tabular-nums; }
.agc-training .agc-status { font-weight: bold; }
.agc-training .agc-status[data-status=error] { color: var(--jp-error-color1, #b91c1c); }
.agc-training .agc-pictures { overflow-x: auto; max-width: 100%; }
.agc-training .agc-pictures > div { display: inline-block; vertical-align: top;
  margin: 0 8px 8px 0; }
.agc-training .agc-pictures svg { display: block; }
.agc-training .agc-side svg { display: block; margin-bottom: 6px; }
`;

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

function render({ model, el }) {
  el.classList.add("agc-training");
  el.append(element("style", {}, STYLE));
  const bar = element("div", { class: "agc-bar" });
  const buttons = {
    play: element("button", { title: "go on training", "data-do": "play" }, "▶ play"),
    pause: element("button", { title: "pause after this step", "data-do": "pause" }, "‖ pause"),
    step: element("button", { title: "one optimizer step", "data-do": "step" }, "+1 step"),
  };
  const slider = element("input", { type: "range", min: "0", max: "0", value: "0",
                                    "aria-label": "the step shown" });
  const status = element("span", { class: "agc-status" });
  bar.append(buttons.play, buttons.pause, buttons.step, slider, status);
  const caption = element("div", { class: "agc-caption" });
  const note = element("div", { class: "agc-note" });
  const pictures = element("div", { class: "agc-pictures" });
  const network = element("div", { class: "agc-network" });
  const side = element("div", { class: "agc-side" });
  pictures.append(network, side);
  el.append(bar, caption, note, pictures);

  // The kernel answered, or sent a frame: it is there, and the buttons reach it. (A kernel
  // busy training in the cell that showed the view answers hello only when the cell ends,
  // but its frames arrive all along.)
  let live = false;
  let updates = 0;

  function send(message) {
    try { model.send(message); } catch (error) { /* no kernel behind a stored view */ }
  }

  // The slider sends at most one seek every 100 ms, and always the last position.
  let seekTimer = null;
  let seekSent = null;
  function seek() {
    if (seekTimer !== null) return;
    const value = Number(slider.value);
    if (value !== seekSent) { seekSent = value; send({ do: "seek", step: value }); }
    seekTimer = setTimeout(() => { seekTimer = null; if (Number(slider.value) !== seekSent) seek(); },
                           100);
  }

  function draw() {
    const frame = model.get("frame") || {};
    updates += 1;
    el.dataset.updates = String(updates);
    el.dataset.step = String(frame.step ?? 0);
    el.dataset.steps = String(frame.steps ?? 0);
    el.dataset.status = frame.status || "";
    status.textContent = live ? (frame.status || "") : "stored view: run the cell to train";
    status.dataset.status = frame.status || "";
    caption.textContent = frame.caption || "";
    note.textContent = frame.note || "";
    network.innerHTML = frame.network || "";
    side.innerHTML = frame.side || "";
    slider.max = String(frame.steps ?? 0);
    if (document.activeElement !== slider) slider.value = String(frame.step ?? 0);
    const controls = live && frame.controls;
    buttons.play.disabled = !controls || frame.status === "running";
    buttons.pause.disabled = !controls || frame.status !== "running";
    buttons.step.disabled = !controls || frame.status !== "paused";
    slider.disabled = !live || (frame.status === "running" && !frame.controls);
    el.title = live && !frame.controls && frame.status === "running"
      ? "training runs in a cell: the kernel hears the buttons when it ends (interrupt the " +
        "kernel to stop it); nn.fit_in_background(...) trains with the buttons working"
      : "";
  }

  for (const [action, button] of Object.entries(buttons)) {
    button.addEventListener("click", () => send({ do: action }));
  }
  slider.addEventListener("input", seek);
  const onMessage = (message) => { if (message && message.hello) { live = true; draw(); } };
  const onFrame = () => { live = true; draw(); };
  model.on("msg:custom", onMessage);
  model.on("change:frame", onFrame);
  draw();
  send({ do: "hello" });
  return () => {
    model.off("msg:custom", onMessage);
    model.off("change:frame", onFrame);
    if (seekTimer !== null) clearTimeout(seekTimer);
  };
}

export default { render };
