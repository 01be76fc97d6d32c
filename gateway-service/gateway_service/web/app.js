// Shippy's web page: one ES module, no framework, no build step.
//
// The access token lives in sessionStorage only: it is gone when the tab closes,
// no other tab or site sees it, and it is never a cookie (so no request is made
// with it that this script did not make: no CSRF). It is sent as
// `Authorization: Bearer`. The page's Content-Security-Policy allows no script
// but this file, and every piece of API data is put on the page as text
// (textContent), never as HTML.

const TOKEN_KEY = "shippy.token";
const EXPIRES_KEY = "shippy.expires_at";
const EXPIRED = "Your session has expired, please log in again.";

const STATUS_WORDS = {
  booked: "Booked",
  in_transit: "At sea",
  arrived: "Arrived",
  delivered: "Delivered",
  cancelled: "Cancelled",
};
const VESSEL_WORDS = { open: "In port, taking bookings", at_sea: "At sea", retired: "Retired" };

const $ = (id) => document.getElementById(id);
const when = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const number = new Intl.NumberFormat();

const state = {
  me: null,
  cursors: [null], // the cursor of each page seen so far; the last is the page shown
  nextCursor: null,
  bookingKey: null, // the Idempotency-Key of the booking the form holds, until it is answered
  expiryTimer: null,
};

// ---------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.slug = String(problem.type || "").split(":").pop();
    this.field = problem.field || null;
    this.retryAfter = retryAfter;
  }
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

async function api(method, path, body, { headers = {}, anonymous = false } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (!anonymous && token()) init.headers.Authorization = `Bearer ${token()}`;
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, { detail: "Cannot reach Shippy. Check your connection and try again." });
  }
  let document = {};
  const text = await response.text();
  if (text) {
    try {
      document = JSON.parse(text);
    } catch {
      document = { detail: text.slice(0, 200) };
    }
  }
  if (response.ok) return document;
  const error = new ApiError(response.status, document, response.headers.get("Retry-After"));
  if (response.status === 401 && !anonymous) {
    logOut(EXPIRED);
    error.handled = true;
  }
  throw error;
}

// What a refusal means to a shipper (the problem's own detail when nothing better fits).
function explain(error, context = "") {
  const { status, slug, problem } = error;
  if (status === 0) return error.message;
  if (status === 401) return context === "log-in" ? "That email and password do not match an account." : EXPIRED;
  if (status === 429) {
    const seconds = Number.parseInt(error.retryAfter, 10);
    const wait = Number.isFinite(seconds) ? `in ${seconds} second${seconds === 1 ? "" : "s"}` : "in a minute";
    return `Too many attempts from your address. Please try again ${wait}.`;
  }
  if (status === 403) return "Only an operator can do this.";
  if (status === 404) return "Shippy does not know that one (it may be someone else's, or gone).";
  if (status === 413) return "That is too large to send.";
  if (slug === "no-vessel-available") {
    return "No vessel has room for this consignment right now. Try fewer containers or less weight, or try again after a vessel arrives.";
  }
  if (slug === "already-exists") {
    if (context === "sign-up") return "There is already an account with this email. Log in instead.";
    if (context === "vessel") return "There is already a vessel with this id.";
    return "This booking's id is already used by another booking.";
  }
  if (slug === "invalid-transition") {
    if (context === "cancel") return "This consignment has already sailed, so it can no longer be cancelled.";
    return `Not now: ${problem.detail}.`;
  }
  if (status === 422) return fieldMessage(error);
  if (status === 503 || status === 504) {
    return "Shippy is busy or part of it is not answering. Please try again in a moment.";
  }
  if (status >= 500) {
    const quote = problem.correlation_id ? ` If it keeps happening, quote ${problem.correlation_id} to an operator.` : "";
    return `Something went wrong on our side.${quote}`;
  }
  return problem.detail || `The request was refused (HTTP ${status}).`;
}

// A validation problem's message without its field path, in plainer words.
function fieldMessage(error) {
  let message = String(error.problem.detail || "is not valid");
  if (error.field && message.startsWith(`${error.field}: `)) message = message.slice(error.field.length + 2);
  const plain = [
    [/^String should have at least 1 character/, "Please fill this in."],
    [/^Field required/, "Please fill this in."],
    [/^Input should be greater than 0/, "Must be more than 0."],
    [/^Input should be a valid integer/, "Must be a whole number."],
    [/^List should have at least 1 item/, "Add at least one container."],
    [/^value is not a valid email address: (.*)/, "This is not an email address: $1"],
    [/^String should have at least (\d+) characters?/, "Must be at least $1 characters long."],
  ];
  for (const [pattern, words] of plain) {
    if (pattern.test(message)) return message.replace(pattern, words);
  }
  return message.charAt(0).toUpperCase() + message.slice(1);
}

// ---------------------------------------------------------------- page helpers

function show(element, text) {
  element.textContent = text;
  element.hidden = !text;
}

function clearErrors(form) {
  for (const p of form.querySelectorAll(".field-error, .form-error, .form-ok")) show(p, "");
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
  }
}

// Put a refusal next to what caused it: the field it names, else the form's own message.
function showRefusal(error, { prefix, formError, context, fieldFor }) {
  if (error.handled) return;
  const message = explain(error, context);
  const input = error.field && (fieldFor ? fieldFor(error.field) : $(`${prefix}-${error.field}`));
  if (input) {
    const slot = $(`${input.id}-error`) || input.closest(".field, li")?.querySelector(".field-error");
    if (slot) {
      show(slot, message);
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", slot.id);
      input.focus();
      return;
    }
  }
  show(formError, error.field && !input ? `${error.field}: ${message}` : message);
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : when.format(date);
}

function wholeNumber(value) {
  const trimmed = String(value).trim();
  if (trimmed === "") return null;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

// ---------------------------------------------------------------- session

function keepSession(issued) {
  sessionStorage.setItem(TOKEN_KEY, issued.token);
  sessionStorage.setItem(EXPIRES_KEY, String(issued.expires_at));
  scheduleExpiry();
}

function scheduleExpiry() {
  clearTimeout(state.expiryTimer);
  const expiresAt = Number(sessionStorage.getItem(EXPIRES_KEY));
  if (!expiresAt) return;
  const left = expiresAt * 1000 - Date.now();
  // setTimeout takes at most ~24.8 days; a longer token is checked by the next call anyway.
  if (left < 2 ** 31 - 1) state.expiryTimer = setTimeout(() => logOut(EXPIRED), Math.max(left, 0));
}

function logOut(message = "") {
  clearTimeout(state.expiryTimer);
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(EXPIRES_KEY);
  state.me = null;
  state.cursors = [null];
  $("consignment-list").replaceChildren();
  $("fleet").replaceChildren();
  notice(message);
  if (location.hash) history.replaceState(null, "", location.pathname);
  render();
}

function notice(message) {
  show($("notice"), message);
}

async function start() {
  if (!token()) return render();
  try {
    state.me = await api("GET", "/v1/users/me");
    scheduleExpiry();
  } catch (error) {
    if (!error.handled) notice(explain(error));
  }
  render();
}

// ---------------------------------------------------------------- views

function currentView() {
  if (!state.me) return "auth";
  if (location.hash === "#/fleet" && state.me.role === "admin") return "fleet";
  if (location.hash === "#/consignments" || state.me.role !== "admin") return "consignments";
  return "fleet";
}

function render() {
  const view = currentView();
  for (const name of ["auth", "consignments", "fleet"]) $(`view-${name}`).hidden = name !== view;
  const signedIn = Boolean(state.me);
  $("nav").hidden = !signedIn;
  $("who").hidden = !signedIn;
  $("nav-fleet").hidden = !(signedIn && state.me.role === "admin");
  if (signedIn) {
    const role = state.me.role === "admin" ? "operator" : "shipper";
    $("who-name").textContent = `${state.me.name} (${state.me.company}, ${role})`;
    for (const link of document.querySelectorAll("#nav a")) {
      if (link.id === `nav-${view}`) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }
  if (view === "consignments") {
    if (!$("container-rows").children.length) addContainerRow();
    loadConsignments();
  } else if (view === "fleet") {
    loadFleet();
  }
  document.title = { auth: "Shippy: log in", consignments: "Shippy: my consignments", fleet: "Shippy: fleet" }[view];
}

// ---------------------------------------------------------------- log in, sign up

$("log-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  clearErrors(form);
  const credentials = { email: $("log-in-email").value.trim(), password: $("log-in-password").value };
  try {
    keepSession(await api("POST", "/v1/tokens", credentials, { anonymous: true }));
    state.me = await api("GET", "/v1/users/me");
  } catch (error) {
    showRefusal(error, { prefix: "log-in", formError: $("log-in-error"), context: "log-in" });
    return;
  }
  form.reset();
  notice("");
  render();
  $("main").focus();
});

$("sign-up-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  clearErrors(form);
  const account = Object.fromEntries(["name", "company", "email", "password"].map((k) => [k, form.elements[k].value]));
  account.email = account.email.trim();
  try {
    await api("POST", "/v1/users", account, { anonymous: true });
    keepSession(await api("POST", "/v1/tokens", { email: account.email, password: account.password }, { anonymous: true }));
    state.me = await api("GET", "/v1/users/me");
  } catch (error) {
    showRefusal(error, { prefix: "sign-up", formError: $("sign-up-error"), context: "sign-up" });
    return;
  }
  form.reset();
  notice("");
  render();
  $("main").focus();
});

$("log-out").addEventListener("click", () => logOut("You have logged out."));
window.addEventListener("hashchange", () => state.me && render());

// ---------------------------------------------------------------- booking

let rowCount = 0;

function addContainerRow(container = {}) {
  rowCount += 1;
  const n = rowCount;
  const customer = element("input", { id: `container-${n}-customer`, name: "customer_id", required: "" });
  const origin = element("input", { id: `container-${n}-origin`, name: "origin", required: "" });
  customer.value = container.customer_id || "";
  origin.value = container.origin || "";
  const remove = element("button", { type: "button", className: "secondary remove", text: "Remove" });
  const row = element(
    "li",
    { className: "container-row" },
    element(
      "div",
      { className: "field" },
      element("label", { for: customer.id }, "Customer id", element("span", { className: "which visually-hidden" })),
      customer,
      element("p", { className: "field-error", id: `${customer.id}-error`, hidden: "" }),
    ),
    element(
      "div",
      { className: "field" },
      element("label", { for: origin.id }, "Origin", element("span", { className: "which visually-hidden" })),
      origin,
      element("p", { className: "field-error", id: `${origin.id}-error`, hidden: "" }),
    ),
    remove,
  );
  remove.addEventListener("click", () => {
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    numberRows();
    (next?.querySelector("input") || $("add-container")).focus();
  });
  $("container-rows").append(row);
  numberRows();
  return row;
}

// Each row's controls say which container they belong to (a screen reader hears "Customer id, container 2").
function numberRows() {
  const rows = [...$("container-rows").children];
  rows.forEach((row, index) => {
    for (const which of row.querySelectorAll(".which")) which.textContent = `, container ${index + 1}`;
    row.querySelector(".remove").setAttribute("aria-label", `Remove container ${index + 1}`);
    row.querySelector(".remove").disabled = rows.length === 1;
  });
}

$("add-container").addEventListener("click", () => addContainerRow().querySelector("input").focus());
$("book-form").addEventListener("input", (event) => {
  if (event.target.id !== "book-file") state.bookingKey = null; // another booking now
});

function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function bookingFieldInput(field) {
  const match = /^containers\.(\d+)\.(customer_id|origin)$/.exec(field);
  if (match) {
    const row = $("container-rows").children[Number(match[1])];
    return row?.querySelector(`[name="${match[2]}"]`) || null;
  }
  if (field === "containers") return $("add-container");
  return $(`book-${field}`);
}

$("book-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  clearErrors(form);
  const consignment = {
    description: $("book-description").value,
    weight: wholeNumber($("book-weight").value),
    containers: [...$("container-rows").children].map((row) => ({
      customer_id: row.querySelector('[name="customer_id"]').value.trim(),
      origin: row.querySelector('[name="origin"]').value,
    })),
  };
  state.bookingKey ||= randomKey();
  const submit = $("book-submit");
  submit.disabled = true;
  const started = performance.now();
  try {
    const booked = await api("POST", "/v1/consignments", consignment, {
      headers: { "Idempotency-Key": state.bookingKey },
    });
    state.bookingKey = null;
    form.reset();
    $("container-rows").replaceChildren();
    addContainerRow();
    show($("book-ok"), bookedWords(booked));
    await showFirstPage();
    performance.measure("shippy:booking", { start: started, end: performance.now() });
  } catch (error) {
    showRefusal(error, {
      formError: $("book-error"),
      context: "book",
      fieldFor: bookingFieldInput,
    });
    if (error.field === "containers") show($("book-containers-error"), explain(error));
  } finally {
    submit.disabled = false;
  }
});

function bookedWords(booked) {
  return `Booked: tracking reference ${booked.reference || booked.id}, on vessel ${booked.vessel_id} (voyage ${booked.voyage ?? "?"}).`;
}

// A consignment.json dropped on the page (or chosen with the file input) is booked as it is.
async function bookFile(file) {
  show($("drop-error"), "");
  show($("drop-ok"), "");
  if (!file) return;
  let consignment;
  try {
    consignment = JSON.parse(await file.text());
  } catch {
    show($("drop-error"), `${file.name} is not a JSON file Shippy can read.`);
    return;
  }
  try {
    const booked = await api("POST", "/v1/consignments", consignment, { headers: { "Idempotency-Key": randomKey() } });
    show($("drop-ok"), `From ${file.name}: ${bookedWords(booked)}`);
    await showFirstPage();
  } catch (error) {
    if (error.handled) return;
    const where = error.field ? `In ${file.name}, ${error.field}: ` : `${file.name}: `;
    show($("drop-error"), where + explain(error, "book"));
  }
}

$("book-file").addEventListener("change", async (event) => {
  await bookFile(event.target.files[0]);
  event.target.value = "";
});

for (const type of ["dragenter", "dragover"]) {
  document.addEventListener(type, (event) => {
    if (currentView() !== "consignments") return;
    event.preventDefault();
    $("drop-zone").classList.add("dragging");
  });
}
document.addEventListener("dragleave", (event) => {
  if (!event.relatedTarget) $("drop-zone").classList.remove("dragging");
});
document.addEventListener("drop", (event) => {
  if (currentView() !== "consignments") return;
  event.preventDefault();
  $("drop-zone").classList.remove("dragging");
  bookFile(event.dataTransfer?.files?.[0]);
});

// ---------------------------------------------------------------- the list

async function showFirstPage() {
  state.cursors = [null];
  await loadConsignments();
}

let listRequest = 0;

async function loadConsignments() {
  const asked = ++listRequest; // only the latest answer is shown
  $("consignment-list").setAttribute("aria-busy", "true");
  const query = new URLSearchParams({ limit: $("page-size").value });
  const status = $("status-filter").value;
  if (status) query.set("status", status);
  const cursor = state.cursors.at(-1);
  if (cursor) query.set("cursor", cursor);
  show($("list-error"), "");
  let page;
  try {
    page = await api("GET", `/v1/consignments?${query}`);
  } catch (error) {
    if (asked !== listRequest) return;
    if (!error.handled) show($("list-error"), explain(error));
    $("consignment-list").removeAttribute("aria-busy");
    return;
  }
  if (asked !== listRequest) return;
  $("consignment-list").removeAttribute("aria-busy");
  state.nextCursor = page.next_cursor;
  $("consignment-list").replaceChildren(...page.items.map(consignmentItem));
  $("list-empty").hidden = page.items.length > 0;
  $("page-previous").disabled = state.cursors.length === 1;
  $("page-next").disabled = !page.next_cursor;
  $("page-number").textContent = `Page ${state.cursors.length}`;
  markOnce("shippy:first-list");
}

// The first time a view has its data on screen (the end-to-end tests read it: time to a useful page).
function markOnce(name) {
  if (!performance.getEntriesByName(name).length) performance.mark(name);
}

function consignmentItem(c) {
  const title = element(
    "div",
    { className: "consignment-head" },
    element("h3", { text: c.reference || c.id }),
    element("span", { className: `status status-${c.status}`, text: STATUS_WORDS[c.status] || c.status }),
  );
  const facts = element(
    "dl",
    { className: "facts" },
    element("dt", { text: "Description" }),
    element("dd", { text: c.description }),
    element("dt", { text: "Load" }),
    element("dd", {
      text: `${c.containers.length} container${c.containers.length === 1 ? "" : "s"}, ${number.format(c.weight)} kg`,
    }),
    element("dt", { text: "Vessel" }),
    element("dd", { text: `${c.vessel_id}${c.voyage ? `, voyage ${c.voyage}` : ""}` }),
  );
  const timeline = element("ol", { className: "timeline", "aria-label": `Timeline of ${c.reference || c.id}` });
  for (const step of c.timeline || []) {
    const by = state.me && step.by === state.me.id ? "you" : "Shippy";
    timeline.append(
      element(
        "li",
        {},
        element("span", { className: "step", text: STATUS_WORDS[step.status] || step.status }),
        " ",
        element("time", { datetime: step.at, text: formatTime(step.at) }),
        ` by ${by}`,
      ),
    );
  }
  const item = element("li", { className: "consignment", "data-id": c.id, "data-status": c.status }, title, facts);
  item.append(element("h4", { className: "timeline-title", text: "Timeline" }), timeline);
  if (c.status === "booked") {
    const cancel = element("button", {
      type: "button",
      className: "secondary danger",
      text: "Cancel booking",
      "aria-label": `Cancel booking ${c.reference || c.id}`,
    });
    const error = element("p", { className: "form-error", role: "alert", hidden: "" });
    cancel.addEventListener("click", async () => {
      cancel.disabled = true;
      show(error, "");
      try {
        await api("POST", `/v1/consignments/${encodeURIComponent(c.id)}/cancellation`);
        await loadConsignments();
      } catch (refusal) {
        if (!refusal.handled) show(error, explain(refusal, "cancel"));
        cancel.disabled = false;
      }
    });
    item.append(cancel, error);
  }
  return item;
}

$("status-filter").addEventListener("change", showFirstPage);
$("page-size").addEventListener("change", showFirstPage);
$("page-next").addEventListener("click", () => {
  if (!state.nextCursor) return;
  state.cursors.push(state.nextCursor);
  loadConsignments();
});
$("page-previous").addEventListener("click", () => {
  if (state.cursors.length > 1) state.cursors.pop();
  loadConsignments();
});

// ---------------------------------------------------------------- the fleet

async function loadFleet() {
  show($("fleet-error"), "");
  const vessels = [];
  let cursor = null;
  try {
    do {
      const query = new URLSearchParams({ limit: "200" });
      if (cursor) query.set("cursor", cursor);
      const page = await api("GET", `/v1/vessels?${query}`);
      vessels.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && vessels.length < 2000);
  } catch (error) {
    if (!error.handled) show($("fleet-error"), explain(error));
    return;
  }
  $("fleet").replaceChildren(...vessels.map(vesselCard));
  markOnce("shippy:first-fleet");
}

// A used/free bar: a role="meter" with its numbers in words, and the used part drawn
// by setting its width through the CSSOM (which the page's CSP allows; no inline style).
function bar(label, used, total, unit) {
  const fraction = total > 0 ? Math.min(used / total, 1) : 0;
  const words = `${number.format(used)} of ${number.format(total)} ${unit} used, ${number.format(Math.max(total - used, 0))} free`;
  const fill = element("div", { className: "bar-used" });
  fill.style.width = `${(fraction * 100).toFixed(1)}%`;
  if (fraction >= 0.9) fill.classList.add("full");
  const track = element(
    "div",
    {
      className: "bar",
      role: "meter",
      "aria-label": label,
      "aria-valuemin": "0",
      "aria-valuemax": String(total),
      "aria-valuenow": String(used),
      "aria-valuetext": words,
    },
    fill,
  );
  return element("div", { className: "bar-block" }, element("p", { className: "bar-text", text: words }), track);
}

function vesselCard(v) {
  const used = v.containers_used ?? (v.capacity ?? 0) - v.containers_free;
  const weightUsed = v.weight_used ?? (v.max_weight ?? 0) - v.weight_free;
  const head = element(
    "div",
    { className: "vessel-head" },
    element("h3", { text: v.name }),
    element("span", { className: `status vessel-${v.status}`, text: VESSEL_WORDS[v.status] || v.status }),
  );
  const card = element(
    "li",
    { className: "vessel card", "data-id": v.id, "data-status": v.status },
    head,
    element("p", { className: "muted", text: `${v.id} · voyage ${v.voyage}` }),
  );
  card.append(
    bar(`Containers on ${v.name}`, used, v.capacity ?? used + v.containers_free, "containers"),
    bar(`Weight on ${v.name}`, weightUsed, v.max_weight ?? weightUsed + v.weight_free, "kg"),
  );
  const error = element("p", { className: "form-error", role: "alert", hidden: "" });
  const actions = element("div", { className: "actions" });
  const buttons = [
    ["Depart", "departure", v.status === "open"],
    ["Arrive", "arrival", v.status === "at_sea"],
    ["Retire", "retirement", v.status === "open"],
  ];
  for (const [text, action, enabled] of buttons) {
    const button = element("button", {
      type: "button",
      className: action === "retirement" ? "secondary danger" : "secondary",
      text,
      "aria-label": `${text} ${v.name}`,
    });
    button.disabled = !enabled;
    button.addEventListener("click", async () => {
      for (const b of actions.querySelectorAll("button")) b.disabled = true;
      show(error, "");
      try {
        await api("POST", `/v1/vessels/${encodeURIComponent(v.id)}/${action}`);
        await loadFleet();
        document.querySelector(`.vessel[data-id="${CSS.escape(v.id)}"] .actions button:not(:disabled)`)?.focus();
      } catch (refusal) {
        if (!refusal.handled) show(error, explain(refusal, "vessel"));
        buttons.forEach(([, , again], i) => {
          actions.children[i].disabled = !again;
        });
      }
    });
    actions.append(button);
  }
  card.append(actions, error);
  return card;
}

$("vessel-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  clearErrors(form);
  const vessel = {
    name: $("vessel-name").value,
    capacity: wholeNumber($("vessel-capacity").value),
    max_weight: wholeNumber($("vessel-max-weight").value),
  };
  if ($("vessel-id").value.trim()) vessel.id = $("vessel-id").value.trim();
  try {
    const added = await api("POST", "/v1/vessels", vessel);
    form.reset();
    show($("vessel-ok"), `Added ${added.name} (${added.id}).`);
    await loadFleet();
  } catch (error) {
    showRefusal(error, {
      formError: $("vessel-error"),
      context: "vessel",
      fieldFor: (field) => $({ max_weight: "vessel-max-weight" }[field] || `vessel-${field}`),
    });
  }
});

start();
