// The drawing pad: draw with pointer events, send the canvas as a PNG, show the answer.
"use strict";

const PREDICT_URL = "/api/predict";
const UPLOAD_FIELD = "image"; // the form field web.py reads an uploaded photo from
const DEBOUNCE_MS = 150; // ask once the pen has rested this long...
const MAX_WAIT_MS = 400; // ...but at least this often during a long stroke
const INK = "#111111";
const PAPER = "#ffffff";
const PAD_NOTE = "Mouse, pen or finger.";

// The page's elements, each by its id in camelCase ("drop-zone" is dropZone).
const {
  pad, dropZone, padNote, brush, brushSize, file: fileInput, result, digit: digitOutput,
  status: statusLine, timing, seen, seenDigits, seenRow, bars: barsBox,
} = Object.fromEntries([...document.querySelectorAll("[id]")].map((element) => [
  element.id.replace(/-(\w)/g, (_, letter) => letter.toUpperCase()), element,
]));
// Read back at every stroke (to redraw it whole) and every prediction (to send it).
const padContext = pad.getContext("2d", { willReadFrequently: true });
const seenContext = seen.getContext("2d");
const bars = buildBars(barsBox);

let stroke = null; // {id, points, width, before} while a pointer is drawing
let padShowsPhoto = false;

// ----- Drawing ---------------------------------------------------------------------------

function clearPad() {
  padContext.fillStyle = PAPER;
  padContext.fillRect(0, 0, pad.width, pad.height);
  padShowsPhoto = false;
}

function padPoint(event) {
  // The canvas may be displayed smaller than its 320x320 pixels (narrow screens).
  const frame = pad.getBoundingClientRect();
  return {
    x: (event.clientX - frame.left) * (pad.width / frame.width),
    y: (event.clientY - frame.top) * (pad.height / frame.height),
  };
}

function middle(a, b) {
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

function startStroke(event) {
  if (event.button !== 0 && event.pointerType === "mouse") return;
  event.preventDefault();
  if (padShowsPhoto) {
    // Drawing starts a new digit rather than scribbling on the photo.
    cancelScheduledPrediction();
    clearPad();
    padNote.textContent = PAD_NOTE;
  }
  pad.setPointerCapture(event.pointerId);
  stroke = {
    id: event.pointerId,
    points: [padPoint(event)],
    width: Number(brush.value),
    before: padContext.getImageData(0, 0, pad.width, pad.height),
  };
  drawStroke();
}

function continueStroke(event) {
  if (!stroke || event.pointerId !== stroke.id) return;
  // Coalesced events carry the points between two frames: smoother curves on fast strokes.
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  for (const each of events.length ? events : [event]) stroke.points.push(padPoint(each));
  drawStroke();
}

function endStroke(event) {
  if (!stroke || event.pointerId !== stroke.id) return;
  stroke = null;
}

// The whole stroke is drawn again as one path over the pad as it was before the stroke:
// pieces drawn one by one would overlap at their round ends and leave darker beads.
function drawStroke() {
  const { points, width, before } = stroke;
  padContext.putImageData(before, 0, 0);
  padContext.strokeStyle = INK;
  padContext.fillStyle = INK;
  padContext.lineWidth = width;
  padContext.lineCap = "round";
  padContext.lineJoin = "round";
  padContext.beginPath();
  if (points.length === 1) {
    // A tap leaves a dot.
    padContext.arc(points[0].x, points[0].y, width / 2, 0, 2 * Math.PI);
    padContext.fill();
  } else {
    // Quadratic curves from midpoint to midpoint, bending at each sampled point: no corners.
    padContext.moveTo(points[0].x, points[0].y);
    for (let index = 1; index < points.length - 1; index += 1) {
      const next = middle(points[index], points[index + 1]);
      padContext.quadraticCurveTo(points[index].x, points[index].y, next.x, next.y);
    }
    const last = points[points.length - 1];
    padContext.lineTo(last.x, last.y);
    padContext.stroke();
  }
  scheduleDrawingPrediction();
}

// ----- Asking the server ----------------------------------------------------------------

let debounceTimer = null;
let firstChangeAt = 0;
let requestInFlight = false;
let queuedRequest = null; // the newest request waiting for the one in flight
let generation = 0; // bumped by Clear and uploads: answers to older requests are dropped

function scheduleDrawingPrediction() {
  const now = performance.now();
  if (debounceTimer === null) firstChangeAt = now;
  clearTimeout(debounceTimer);
  const wait = Math.max(0, Math.min(DEBOUNCE_MS, firstChangeAt + MAX_WAIT_MS - now));
  debounceTimer = setTimeout(() => {
    debounceTimer = null;
    ask(drawingRequest);
  }, wait);
}

function cancelScheduledPrediction() {
  clearTimeout(debounceTimer);
  debounceTimer = null;
  queuedRequest = null;
  generation += 1;
}

function drawingRequest() {
  // toDataURL, not toBlob: Chromium may hold a toBlob back for up to a second, waiting for idle time.
  const body = JSON.stringify({ image: pad.toDataURL("image/png") });
  return { headers: { "Content-Type": "application/json" }, body };
}

function photoRequest(file) {
  const form = new FormData();
  form.append(UPLOAD_FIELD, file, file.name);
  return () => ({ body: form });
}

// One request at a time; while one is out, only the newest of the next ones is kept.
async function ask(makeRequest) {
  if (requestInFlight) {
    queuedRequest = makeRequest;
    return;
  }
  requestInFlight = true;
  const asked = generation;
  try {
    const started = performance.now();
    const response = await fetch(PREDICT_URL, { method: "POST", ...makeRequest() });
    const answer = await response.json();
    if (asked === generation) {
      if (response.ok) showAnswer(answer, performance.now() - started);
      else showError(answer.error || `the server answered ${response.status}`);
    }
  } catch (error) {
    if (asked === generation) showError("cannot reach the server: is app.py still running?");
  } finally {
    requestInFlight = false;
    const next = queuedRequest;
    queuedRequest = null;
    if (next) ask(next);
  }
}

// ----- Showing the answer ---------------------------------------------------------------

function buildBars(container) {
  const built = [];
  for (let digit = 0; digit < 10; digit += 1) {
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.dataset.digit = String(digit);
    bar.innerHTML = '<span class="share"></span><span class="track"><span class="fill"></span></span>';
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = String(digit);
    bar.append(label);
    container.append(bar);
    built.push({ bar, share: bar.querySelector(".share"), fill: bar.querySelector(".fill") });
  }
  return built;
}

function showProbabilities(probabilities) {
  const top = probabilities ? probabilities.indexOf(Math.max(...probabilities)) : -1;
  bars.forEach(({ bar, share, fill }, digit) => {
    const probability = probabilities ? probabilities[digit] : 0;
    fill.style.height = `${(probability * 100).toFixed(1)}%`;
    share.textContent = probabilities ? `${Math.round(probability * 100)}%` : "";
    bar.classList.toggle("top", digit === top);
  });
}

function paintProcessed(context, rows) {
  const image = context.createImageData(28, 28);
  rows.flat().forEach((level, index) => {
    image.data.set([level, level, level, 255], index * 4);
  });
  context.putImageData(image, 0, 0);
}

// The enlarged 28x28 of the least sure digit (of the digit, when there is one); for a
// number, also each digit's 28x28 and reading, left to right, the least sure outlined.
function showSeen(digits, least) {
  if (digits) paintProcessed(seenContext, digits[least].processed);
  else seenContext.clearRect(0, 0, seen.width, seen.height);
  const number = digits && digits.length > 1;
  seenDigits.hidden = !number;
  seenRow.replaceChildren(...(number ? digits : []).map((entry, index) => {
    const tile = document.createElement("div");
    tile.className = "seen-digit";
    tile.classList.toggle("unsure", !entry.sure);
    tile.classList.toggle("least", index === least);
    const canvas = document.createElement("canvas");
    canvas.width = 28;
    canvas.height = 28;
    canvas.setAttribute("aria-label", `Digit ${index + 1}: the 28×28 image the model saw`);
    paintProcessed(canvas.getContext("2d"), entry.processed);
    const reading = document.createElement("span");
    reading.className = "reading";
    const digit = document.createElement("b");
    digit.textContent = entry.sure ? String(entry.digit) : "?";
    reading.append(digit, ` ${Math.round(entry.confidence * 100)}%`);
    tile.append(canvas, reading);
    return tile;
  }));
}

// One digit or several alike: the number (a "?" for each unsure digit), the bars and the
// enlarged 28x28 of the least sure digit, the one to redraw if any.
function showAnswer(answer, milliseconds) {
  timing.textContent = `answered in ${Math.round(milliseconds)} ms`;
  if (!answer.found) {
    result.dataset.state = "none";
    digitOutput.textContent = "?";
    statusLine.textContent = capitalised(answer.message);
    showProbabilities(null);
    showSeen(null);
    return;
  }
  const { digits } = answer;
  const confidences = digits.map((entry) => entry.confidence);
  const least = confidences.indexOf(Math.min(...confidences));
  const surest = `${(confidences[least] * 100).toFixed(1)}%`;
  result.dataset.state = answer.sure ? "sure" : "unsure";
  digitOutput.textContent = answer.number; // a "?" for each mark that is not a digit
  if (!answer.sure) {
    statusLine.textContent = `${capitalised(answer.message)} – try again, larger or clearer.`;
  } else if (digits.length === 1) {
    statusLine.textContent = `It's a ${answer.number}: ${surest} sure.`;
  } else {
    statusLine.textContent = `It's ${answer.number}: each digit at least ${surest} sure.`;
  }
  showProbabilities(digits[least].probabilities);
  showSeen(digits, least);
}

function showError(message) {
  result.dataset.state = "error";
  digitOutput.textContent = "!";
  statusLine.textContent = capitalised(message);
  timing.textContent = "";
  showProbabilities(null);
  showSeen(null);
}

function showEmpty() {
  result.dataset.state = "empty";
  digitOutput.textContent = "–";
  statusLine.textContent = "Draw a digit – or a number – in the square.";
  timing.textContent = "";
  showProbabilities(null);
  showSeen(null);
}

function capitalised(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ----- Photos ---------------------------------------------------------------------------

async function readPhoto(file) {
  cancelScheduledPrediction();
  stroke = null;
  await showPhotoOnPad(file);
  ask(photoRequest(file));
}

async function showPhotoOnPad(file) {
  clearPad();
  try {
    const photo = await createImageBitmap(file);
    const scale = Math.min(pad.width / photo.width, pad.height / photo.height);
    const width = photo.width * scale;
    const height = photo.height * scale;
    padContext.drawImage(photo, (pad.width - width) / 2, (pad.height - height) / 2, width, height);
    photo.close();
  } catch (error) {
    // The browser cannot show it; the server still reads it, or says why it cannot.
  }
  padShowsPhoto = true;
  padNote.textContent = `Photo: ${file.name} – draw on the pad to start a new digit.`;
}

// ----- Wiring ---------------------------------------------------------------------------

pad.addEventListener("pointerdown", startStroke);
pad.addEventListener("pointermove", continueStroke);
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);

function showBrushSize() {
  brushSize.textContent = `${brush.value} px`;
}
brush.addEventListener("input", showBrushSize);

document.getElementById("clear").addEventListener("click", () => {
  cancelScheduledPrediction();
  stroke = null;
  clearPad();
  padNote.textContent = PAD_NOTE;
  showEmpty();
});

document.getElementById("upload").addEventListener("click", () => fileInput.click());
fileInput.addEventListener("change", () => {
  const [file] = fileInput.files;
  fileInput.value = ""; // so that choosing the same file again reads it again
  if (file) readPhoto(file);
});

// Dropping a file anywhere else would make the browser open it instead of this page.
window.addEventListener("dragover", (event) => event.preventDefault());
window.addEventListener("drop", (event) => event.preventDefault());
dropZone.addEventListener("dragenter", () => dropZone.classList.add("dropping"));
dropZone.addEventListener("dragleave", (event) => {
  if (!dropZone.contains(event.relatedTarget)) dropZone.classList.remove("dropping");
});
dropZone.addEventListener("drop", (event) => {
  dropZone.classList.remove("dropping");
  const [file] = event.dataTransfer.files;
  if (file) readPhoto(file);
});

clearPad();
showEmpty();
showBrushSize(); // the browser may have restored the slider from an earlier visit
