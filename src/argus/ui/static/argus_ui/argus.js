/* Argus web UI: the enhancements scripts bring to pages that work without them.
 *
 * - toasts, dialogs (focus moves in, stays in, returns to the opener), the user menu;
 * - the incident list: selection, bulk dialogs, keyboard shortcuts (press "?"), saved filters;
 * - forms: confirmations and small forms in a dialog, a profile's form inside its card, rows of
 *   recurrences added and removed in place, character counters, a warning before leaving edits;
 * - live updates over /ws/open/: changed rows are re-rendered by the server with the page's own
 *   columns, at most one table update per second however many frames arrive; new matching
 *   incidents are inserted on page 1 of the default sort, announced otherwise; rows that stop
 *   matching stay in place, greyed; on a lost connection: "Reconnecting…", backoff 1 s to 30 s,
 *   polling every 30 s meanwhile, one full refresh after reconnecting.
 */
(function () {
  "use strict";

  const FLUSH_INTERVAL_MS = 1000;
  const GATHER_MS = 50; // the frames of one change (a bulk action's, say) arrive together
  const ANNOUNCE_INTERVAL_MS = 10000;
  const RECONNECT_MIN_MS = 1000;
  const RECONNECT_MAX_MS = 30000;
  const DISCONNECTED_POLL_MS = 30000;
  const SUCCESS_TOAST_MS = 10000;
  const MAX_IDS_PER_REQUEST = 400;

  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));

  // --- toasts ------------------------------------------------------------------------------------

  function armToast(node) {
    const close = $(".toast-close", node);
    if (close) {
      close.hidden = false;
      close.addEventListener("click", () => node.remove());
    }
    const closesItself = node.classList.contains("toast-success") || node.classList.contains("toast-info");
    if (closesItself && !node.closest("[data-static]")) {
      const tryRemove = () => {
        if (node.matches(":hover") || node.contains(document.activeElement)) {
          setTimeout(tryRemove, 2000);
        } else {
          node.remove();
        }
      };
      setTimeout(tryRemove, SUCCESS_TOAST_MS);
    }
  }

  function toast(level, text) {
    const node = document.createElement("div");
    node.className = "toast toast-" + level;
    const span = document.createElement("span");
    span.className = "toast-text";
    span.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss message");
    close.textContent = "×";
    node.append(span, close);
    const region = level === "error" ? $("#toasts-alert") : $("#toasts-status");
    if (region) {
      region.appendChild(node);
      armToast(node);
    }
  }

  // --- dialogs ---------------------------------------------------------------------------------

  let dialogOpener = null;

  function openDialog(dialog, opener) {
    dialogOpener = opener || document.activeElement;
    if (!dialog.open) dialog.showModal();
    const first = $("textarea, input:not([type=hidden]), select, button.primary", dialog);
    if (first) first.focus();
  }

  function closeDialog(dialog) {
    if (dialog && dialog.open) dialog.close();
  }

  document.addEventListener("close", (event) => {
    if (event.target.tagName === "DIALOG") {
      const opener = dialogOpener;
      dialogOpener = null;
      if (opener && document.contains(opener)) opener.focus();
      else focusRow(currentRow());
    }
  }, true);

  document.addEventListener("click", (event) => {
    const cancel = event.target.closest(".dialog-cancel");
    if (cancel && cancel.closest("dialog")) {
      event.preventDefault();
      closeDialog(cancel.closest("dialog"));
    }
  });

  // Enter submits a dialog whose form has a single text field (a textarea too).
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey || event.target.tagName !== "TEXTAREA") return;
    const form = event.target.closest("dialog form");
    if (form && $$("textarea, input:not([type=hidden])", form).length === 1) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  async function openActionDialog(trigger, ids) {
    const dialog = document.getElementById(trigger.dataset.dialog);
    if (!dialog) return false;
    if (!ids.length) {
      toast("warning", "Select incidents first (x), or focus one (j, k).");
      return true;
    }
    const body = $(".dialog-body", dialog);
    const params = new URLSearchParams();
    ids.forEach((pk) => params.append("incident_ids", pk));
    params.set("next", location.pathname + location.search);
    const response = await fetch(body.dataset.formUrl + "?" + params, { headers: { "HX-Request": "true" } });
    if (response.headers.get("HX-Trigger")) {
      handleTriggers(response.headers.get("HX-Trigger"));
      return true;
    }
    if (!response.ok) {
      toast("error", "Could not open the form (" + response.status + ").");
      return true;
    }
    body.innerHTML = await response.text();
    $$(".js-only", body).forEach((node) => (node.hidden = false));
    window.htmx.process(body);
    const count = $(".dialog-count", dialog);
    if (count) count.textContent = ids.length === 1 ? "incident " + ids[0] : ids.length + " incidents";
    openDialog(dialog, trigger);
    return true;
  }

  document.addEventListener("click", (event) => {
    const trigger = event.target.closest("[data-dialog]");
    if (!trigger || !document.getElementById(trigger.dataset.dialog)) return;
    event.preventDefault();
    const ids = trigger.dataset.ids ? trigger.dataset.ids.split(",") : actionTargets();
    openActionDialog(trigger, ids);
  });

  // --- answers of htmx requests -----------------------------------------------------------------

  function handleTriggers(header) {
    let data;
    try {
      data = JSON.parse(header);
    } catch (error) {
      return;
    }
    if (data["argus:done"]) onDone(data["argus:done"]);
    if (data["argus:prefs"] && data["argus:prefs"].theme) {
      document.documentElement.dataset.theme = data["argus:prefs"].theme;
    }
  }

  function onDone(detail) {
    (detail.notes || []).forEach((note) => toast(note.level, note.text));
    $$("dialog[open]").forEach(closeDialog);
    const ids = detail.ids || [];
    if (ids.length) live.refreshNow(ids);
    if (ids.length && $(".bulk-bar")) clearSelection();
  }

  document.body.addEventListener("argus:done", (event) => onDone(event.detail));
  document.body.addEventListener("argus:prefs", (event) => {
    if (event.detail.theme) document.documentElement.dataset.theme = event.detail.theme;
  });
  document.body.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    toast("error", "Error " + xhr.status + ": " + (xhr.statusText || "the request failed"));
  });
  document.body.addEventListener("htmx:sendError", () => toast("error", "The server could not be reached."));
  // An outerHTML swap detaches its target: remember where it was (a dialog, an inline slot) first.
  let swapContainer = null;
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    swapContainer = target && target.closest ? target.closest("dialog, .inline-form-slot") : null;
  });
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "list-region") afterListSwap();
    const container = swapContainer;
    swapContainer = null;
    if (!container || !document.contains(container)) return;
    $$(".js-only", container).forEach((node) => (node.hidden = false));
    initCounters(container);
    const first =
      $("[aria-invalid=true]", container) ||
      $(".error-summary a", container) ||
      (container.matches(".inline-form-slot") && $("input:not([type=hidden]), select, textarea", container));
    if (first) first.focus();
  });

  // --- forms in a dialog, forms inline, the view a saved-filter form carries ---------------------

  // The list's URL is its view (filters, sort...); forms about it send the current one.
  function carryView(url) {
    const target = new URL(url, location.href);
    target.searchParams.set("view", location.search.replace(/^\?/, ""));
    return target.pathname + target.search;
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches && form.matches("form[data-carry-view]")) {
      const view = $("input[name=view]", form);
      if (view) view.value = location.search.replace(/^\?/, "");
    }
    if (form.matches && form.matches("form[data-warn-unsaved]")) unsaved.delete(form.id || form);
  }, true);

  async function openFormDialog(link) {
    const dialog = $("#form-dialog");
    if (!dialog) return false;
    const url = link.hasAttribute("data-carry-view") ? carryView(link.href) : link.href;
    let response;
    try {
      response = await fetch(url, { headers: { "HX-Request": "true" } });
    } catch (error) {
      toast("error", "The server could not be reached.");
      return true;
    }
    if (response.headers.get("HX-Redirect")) {
      location.href = response.headers.get("HX-Redirect");
      return true;
    }
    if (!response.ok) {
      toast("error", "Could not open the form (" + response.status + ").");
      return true;
    }
    const body = $(".dialog-body", dialog);
    body.innerHTML = await response.text();
    const form = $("form", body);
    $("#form-dialog-title").textContent = (form && form.dataset.dialogTitle) || link.textContent.trim();
    $$(".js-only", body).forEach((node) => (node.hidden = false));
    window.htmx.process(body);
    initCounters(body);
    openDialog(dialog, link);
    return true;
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-form-dialog]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    openFormDialog(link);
  });

  // A form opened inside the page (a profile's card): Cancel closes it, focus goes back.
  document.addEventListener("click", (event) => {
    const cancel = event.target.closest(".inline-cancel");
    const slot = cancel && cancel.closest(".inline-form-slot");
    if (!slot) return;
    event.preventDefault();
    slot.innerHTML = "";
    const opener = $('[hx-target="#' + slot.id + '"]');
    if (opener) opener.focus();
  });

  function initCounters(root) {
    $$("input[data-counter][maxlength]", root).forEach((input) => {
      if (input.dataset.counterReady) return;
      input.dataset.counterReady = "1";
      const counter = document.createElement("span");
      counter.className = "help counter";
      const update = () => (counter.textContent = input.value.length + " of " + input.maxLength + " characters");
      input.insertAdjacentElement("afterend", counter);
      input.addEventListener("input", update);
      update();
    });
  }

  // Rows of recurrences: "Add recurrence" clones the empty row, "Remove" ticks the row's Remove box.
  document.addEventListener("click", (event) => {
    const add = event.target.closest(".add-recurrence");
    const form = add && add.closest("form[data-formset]");
    if (form) {
      event.preventDefault();
      const prefix = form.dataset.formset;
      const total = $('input[name="' + prefix + '-TOTAL_FORMS"]', form);
      const max = parseInt($('input[name="' + prefix + '-MAX_NUM_FORMS"]', form).value, 10) || 20;
      const index = parseInt(total.value, 10);
      if (index >= max) {
        toast("warning", "At most " + max + " recurrences.");
        return;
      }
      const shown = $$("fieldset.recurrence", $(".recurrence-rows", form)).filter((row) => !row.hidden).length;
      const html = $("#recurrence-template", form).innerHTML
        .replace(/__prefix__/g, String(index))
        .replace(/__number__/g, String(shown + 1));
      const holder = document.createElement("div");
      holder.innerHTML = html;
      const row = holder.firstElementChild;
      $(".recurrence-rows", form).appendChild(row);
      $$(".js-only", row).forEach((node) => (node.hidden = false));
      total.value = String(index + 1);
      const first = $("input[type=checkbox]", row);
      if (first) first.focus();
      return;
    }
    const remove = event.target.closest("[data-remove-recurrence]");
    if (remove) {
      const row = remove.closest("fieldset.recurrence");
      const box = $('input[name$="-DELETE"]', row);
      if (box) box.checked = true;
      row.hidden = true;
      $$("fieldset.recurrence", row.closest("form"))
        .filter((other) => !other.hidden && !other.closest("template"))
        .forEach((other, index) => ($("legend", other).textContent = "Recurrence " + (index + 1)));
      const next = $(".add-recurrence", row.closest("form"));
      if (next) next.focus();
      toast("info", "Recurrence removed; save to keep the change.");
    }
  });

  // A warning before leaving a page with edits that were not saved.
  const unsaved = new Set();
  document.addEventListener("input", (event) => {
    const form = event.target.form || (event.target.closest && event.target.closest("form"));
    if (form && form.matches("form[data-warn-unsaved]")) unsaved.add(form.id || form);
  });
  window.addEventListener("beforeunload", (event) => {
    if (!unsaved.size) return;
    event.preventDefault();
    event.returnValue = "";
  });

  // --- small page helpers -----------------------------------------------------------------------

  function initPage() {
    $$(".js-only").forEach((node) => (node.hidden = false));
    $$(".toast").forEach(armToast);
    $$("[data-autosubmit]").forEach((form) => {
      form.addEventListener("change", () => form.requestSubmit());
    });
    $$("[data-copy]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", () => {
        const source = $(button.dataset.copy);
        if (source && navigator.clipboard) {
          navigator.clipboard.writeText(source.textContent.trim()).then(() => toast("success", "Copied."));
        }
      });
    });
    const menu = $(".user-menu");
    if (menu) {
      document.addEventListener("click", (event) => {
        if (menu.open && !menu.contains(event.target)) menu.open = false;
      });
      menu.addEventListener("keydown", (event) => {
        if (event.key === "Escape" && menu.open) {
          menu.open = false;
          $("summary", menu).focus();
        }
      });
    }
    const prefsForm = $("[data-save-on-change]");
    if (prefsForm) {
      prefsForm.addEventListener("change", async (event) => {
        const field = event.target;
        if (!field.name) return;
        const body = new URLSearchParams();
        body.set("csrfmiddlewaretoken", $("[name=csrfmiddlewaretoken]", prefsForm).value);
        body.set(field.name, field.value);
        const response = await fetch(prefsForm.action, {
          method: "POST",
          body,
          headers: { "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded" },
        });
        if (response.headers.get("HX-Trigger")) handleTriggers(response.headers.get("HX-Trigger"));
        else toast("error", "Not saved (" + response.status + ").");
      });
    }
    $$("[data-typeahead]").forEach(initTypeahead);
    $$("[data-filter-search]").forEach(initChoiceSearch);
    initCounters(document);
    if ($("#incident-rows")) initList();
    live.start();
  }

  // A search box over a list of checkboxes: only the choices whose label holds the text show
  // (ticked ones always do).
  function initChoiceSearch(input) {
    const list = $(input.dataset.filterSearch);
    if (!list) return;
    input.addEventListener("input", () => {
      const term = input.value.trim().toLowerCase();
      $$("label", list).forEach((label) => {
        const box = $("input", label);
        label.hidden = !!term && !(box && box.checked) && !label.textContent.toLowerCase().includes(term);
      });
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault(); // not a submit of the whole form
    });
  }

  function initTypeahead(input) {
    const list = document.getElementById(input.getAttribute("list"));
    let timer = null;
    let options = {};
    input.addEventListener("input", () => {
      if (input.hasAttribute("data-source-picker") && options[input.value]) {
        addSource(options[input.value], input.value);
        input.value = "";
        return;
      }
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const term = input.value.split(",").pop().trim();
        if (!term) return;
        const response = await fetch(input.dataset.typeahead + "?q=" + encodeURIComponent(term));
        if (!response.ok) return;
        const data = await response.json();
        options = {};
        list.innerHTML = "";
        const prefix = input.hasAttribute("data-source-picker") ? "" : input.value.slice(0, input.value.length - input.value.split(",").pop().length);
        data.results.forEach((result) => {
          const option = document.createElement("option");
          option.value = prefix + result.text;
          options[option.value] = result.id;
          list.appendChild(option);
        });
      }, 250);
    });
  }

  function addSource(pk, label) {
    const fieldset = $("#f-source-name").closest("fieldset");
    if ($('input[name=sourceSystemIds][value="' + pk + '"]', fieldset)) return;
    const wrapper = document.createElement("label");
    wrapper.className = "check";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "sourceSystemIds";
    box.value = pk;
    box.checked = true;
    wrapper.append(box, " " + label);
    const none = $("#no-sources");
    if (none) none.remove();
    fieldset.insertBefore(wrapper, $(".add-source", fieldset));
    box.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // --- incident list: rows, selection, keyboard -----------------------------------------------------

  let lastSelected = null;
  let pointerOverTable = false;

  function rows() {
    return $$("#incident-rows tr.incident-row");
  }

  function currentRow() {
    const active = document.activeElement;
    return active && active.closest ? active.closest("tr.incident-row") : null;
  }

  function focusRow(row) {
    if (!row) return;
    rows().forEach((other) => other.setAttribute("tabindex", "-1"));
    row.setAttribute("tabindex", "0");
    row.focus();
  }

  function selectedIds() {
    return $$("#incident-rows .row-select:checked").map((box) => box.value);
  }

  function actionTargets() {
    const ids = selectedIds();
    if (ids.length) return ids;
    const row = currentRow();
    return row ? [row.dataset.pk] : [];
  }

  function updateSelection() {
    const ids = selectedIds();
    const bar = $(".bulk-bar");
    if (bar) {
      bar.classList.toggle("has-selection", ids.length > 0);
      $("#selected-count").textContent = ids.length ? ids.length + " selected" : "Tick incidents to act on them.";
    }
    rows().forEach((row) => {
      const box = $(".row-select", row);
      row.classList.toggle("selected", !!(box && box.checked));
    });
    const all = $("#select-all");
    if (all) {
      const boxes = $$("#incident-rows .row-select");
      all.checked = boxes.length > 0 && boxes.every((box) => box.checked);
      all.indeterminate = ids.length > 0 && !all.checked;
    }
  }

  function clearSelection() {
    $$("#incident-rows .row-select:checked").forEach((box) => (box.checked = false));
    updateSelection();
  }

  function toggleRow(row, range) {
    const box = row && $(".row-select", row);
    if (!box) return;
    if (range && lastSelected && document.contains(lastSelected)) {
      const all = rows();
      const [a, b] = [all.indexOf(lastSelected), all.indexOf(row)].sort((x, y) => x - y);
      all.slice(a, b + 1).forEach((r) => {
        const other = $(".row-select", r);
        if (other) other.checked = true;
      });
    } else {
      box.checked = !box.checked;
    }
    lastSelected = row;
    updateSelection();
  }

  function initList() {
    const all = $("#select-all");
    if (all) {
      all.hidden = false;
      all.addEventListener("change", () => {
        $$("#incident-rows .row-select").forEach((box) => (box.checked = all.checked));
        updateSelection();
      });
    }
    document.addEventListener("change", (event) => {
      if (event.target.classList && event.target.classList.contains("row-select")) {
        lastSelected = event.target.closest("tr");
        updateSelection();
      }
    });
    // A click anywhere on a row (not on a control) opens the incident, as the link in it does.
    document.addEventListener("click", (event) => {
      const row = event.target.closest("tr.incident-row");
      if (!row || event.target.closest("a, button, input, label, select, textarea, details")) return;
      if (window.getSelection && String(window.getSelection())) return;
      location.href = row.dataset.url;
    });
    // New rows wait while the pointer is over the table: rows never jump under it.
    document.addEventListener("pointerover", (event) => {
      pointerOverTable = !!(event.target.closest && event.target.closest("#incidents-table"));
    });
    document.documentElement.addEventListener("pointerleave", () => (pointerOverTable = false));
    updateSelection();
  }

  function afterListSwap() {
    $$(".js-only", $("#list-region")).forEach((node) => (node.hidden = false));
    const all = $("#select-all");
    if (all) all.hidden = false;
    updateSelection();
  }

  function isTyping(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable=true]");
  }

  function pageLink(name) {
    const link = $('.paginator a[data-page="' + name + '"]');
    if (link) location.href = link.href;
  }

  function actionShortcut(action) {
    const trigger = $('.bulk-bar [data-dialog="dialog-' + action + '"]');
    if (trigger) openActionDialog(trigger, actionTargets());
  }

  document.addEventListener("keydown", (event) => {
    if (document.body.dataset.shortcuts !== "on" || event.ctrlKey || event.metaKey || event.altKey) return;
    if ($("dialog[open]")) return;
    if (event.key === "?" && !isTyping(event.target)) {
      const help = $("#dialog-help");
      if (help) {
        event.preventDefault();
        openDialog(help, document.activeElement);
      }
      return;
    }
    if (!$("#incident-rows") || isTyping(event.target)) return;
    const all = rows();
    const row = currentRow();
    const index = row ? all.indexOf(row) : -1;
    switch (event.key) {
      case "j":
        focusRow(all[Math.min(index + 1, all.length - 1)]);
        break;
      case "k":
        focusRow(all[Math.max(index - 1, 0)]);
        break;
      case "o":
      case "Enter":
        if (!row || (event.key === "Enter" && event.target !== row)) return;
        location.href = row.dataset.url;
        break;
      case "x":
      case "X":
        toggleRow(row, event.shiftKey);
        break;
      case "a":
        actionShortcut("ack");
        break;
      case "c":
        actionShortcut("close");
        break;
      case "r":
        actionShortcut("reopen");
        break;
      case "t":
        actionShortcut("update-ticket");
        break;
      case "/": {
        const box = $("#filter-box");
        if (!box) return;
        box.open = true;
        $("select, input:not([type=hidden])", box).focus();
        break;
      }
      case "n":
        pageLink("next");
        break;
      case "p":
        pageLink("previous");
        break;
      case "Escape":
        clearSelection();
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  // --- live updates ----------------------------------------------------------------------------

  const live = {
    mode: null,
    socket: null,
    connected: false,
    reconnectDelay: RECONNECT_MIN_MS,
    pollTimer: null,
    flushTimer: null,
    lastFlush: -Infinity,
    pending: new Map(), // pk -> "created" | "modified" | "deleted"
    newCount: 0,
    summary: { updated: 0, created: 0, stale: 0 },
    lastAnnounce: -Infinity,
    announceTimer: null,

    start() {
      const indicator = $("#live-indicator");
      if (!indicator) return;
      indicator.hidden = false;
      this.mode = indicator.dataset.mode || "live";
      if (this.mode === "live" && "WebSocket" in window) {
        this.connect();
      } else if (this.mode === "never") {
        this.setIndicator("off", "Updates off");
      } else {
        const seconds = parseInt(this.mode, 10) || 30;
        this.setIndicator("polling", "Updating every " + seconds + " s");
        this.startPolling(seconds * 1000);
      }
    },

    setIndicator(state, text) {
      const indicator = $("#live-indicator");
      if (!indicator) return;
      indicator.dataset.state = state;
      $(".live-text", indicator).textContent = text;
    },

    connect() {
      const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/open/";
      let socket;
      try {
        socket = new WebSocket(url);
      } catch (error) {
        this.reconnectLater();
        return;
      }
      this.socket = socket;
      socket.addEventListener("open", () => socket.send(JSON.stringify({ action: "subscribe" })));
      socket.addEventListener("message", (event) => this.onFrame(event.data));
      socket.addEventListener("close", () => {
        if (this.socket === socket) this.reconnectLater();
      });
    },

    reconnectLater() {
      const wasConnected = this.connected;
      this.connected = false;
      this.socket = null;
      this.setIndicator("reconnecting", "Reconnecting…");
      if (wasConnected || !this.pollTimer) this.startPolling(DISCONNECTED_POLL_MS);
      const delay = this.reconnectDelay;
      this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
      setTimeout(() => this.connect(), delay);
    },

    onFrame(text) {
      let frame;
      try {
        frame = JSON.parse(text);
      } catch (error) {
        return;
      }
      if (frame.type === "subscribed") {
        const reconnected = this.reconnectDelay > RECONNECT_MIN_MS || this.pollTimer;
        this.connected = true;
        this.reconnectDelay = RECONNECT_MIN_MS;
        this.stopPolling();
        this.setIndicator("live", "Live");
        document.body.dataset.live = "subscribed";
        if (reconnected) this.fullRefresh();
        return;
      }
      if (frame.error) {
        if (!this.connected) this.setIndicator("reconnecting", "Live feed unavailable, retrying…");
        return;
      }
      const pk = frame.payload && frame.payload.pk;
      if (!pk || !["created", "modified", "deleted"].includes(frame.type)) return;
      document.dispatchEvent(new CustomEvent("argus:frame", { detail: { type: frame.type, pk: pk, at: performance.now() } }));
      const previous = this.pending.get(String(pk));
      this.pending.set(String(pk), previous === "created" && frame.type === "modified" ? "created" : frame.type);
      this.flushSoon();
    },

    startPolling(ms) {
      this.stopPolling();
      this.pollTimer = setInterval(() => this.fullRefresh(), ms);
    },

    stopPolling() {
      if (this.pollTimer) clearInterval(this.pollTimer);
      this.pollTimer = null;
    },

    // At most one update per second: the first frames after a quiet second are shown at once
    // (after gathering the others of the same change for a moment).
    flushSoon() {
      if (this.flushTimer) return;
      const wait = Math.max(GATHER_MS, this.lastFlush + FLUSH_INTERVAL_MS - performance.now());
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        this.flush();
      }, wait);
    },

    refreshNow(ids) {
      ids.forEach((pk) => {
        if (!this.pending.has(String(pk))) this.pending.set(String(pk), "modified");
      });
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
      this.flush();
    },

    async flush() {
      if (!this.pending.size) return;
      this.lastFlush = performance.now();
      if ($("#incident-detail")) return this.flushDetail();
      const region = $("#list-region");
      if (!region) {
        this.pending.clear();
        return;
      }
      const batch = new Map();
      for (const [pk, kind] of this.pending) {
        if (batch.size >= MAX_IDS_PER_REQUEST) break;
        const visible = !!document.getElementById("incident-" + pk);
        if (visible || kind === "created") batch.set(pk, kind);
      }
      for (const pk of Array.from(this.pending.keys())) {
        const kind = this.pending.get(pk);
        if (batch.has(pk) || (kind !== "created" && !document.getElementById("incident-" + pk))) this.pending.delete(pk);
      }
      if (!batch.size) return;
      const params = new URLSearchParams(region.dataset.liveParams || "");
      params.set("ids", Array.from(batch.keys()).join(","));
      if (region.dataset.kiosk === "1") params.set("kiosk", "1");
      let response;
      try {
        response = await fetch("/incidents/rows/?" + params, { headers: { Accept: "application/json" } });
      } catch (error) {  // the server is unreachable: try these rows again with the next update
        batch.forEach((kind, pk) => this.pending.set(pk, kind));
        this.flushSoon();
        return;
      }
      // Refused, or sent to the login page after the session ended: retrying would not help.
      if (!response.ok || !(response.headers.get("Content-Type") || "").includes("json")) return;
      const data = await response.json();
      this.applyRows(region, batch, data);
      if (this.pending.size) this.flushSoon();
    },

    applyRows(region, batch, data) {
      const tbody = $("#incident-rows");
      const template = document.createElement("tbody");
      const canInsert =
        region.dataset.firstPage === "1" && region.dataset.defaultSort === "1" && !pointerOverTable && !$("dialog[open]");
      let inserted = 0;
      data.rows.forEach((row) => {
        const existing = document.getElementById("incident-" + row.pk);
        template.innerHTML = row.html;
        const fresh = template.firstElementChild;
        if (existing) {
          this.updateRow(existing, fresh, row.matches);
          this.summary.updated += 1;
        } else if (row.matches && batch.get(String(row.pk)) === "created") {
          if (canInsert && this.insertRow(tbody, fresh, region)) {
            inserted += 1;
            this.summary.created += 1;
          } else {
            this.newCount += 1;
            this.summary.created += 1;
          }
        }
      });
      (data.missing || []).forEach((pk) => {
        const existing = document.getElementById("incident-" + pk);
        if (existing) this.markStale(existing, "deleted");
      });
      $$("[data-count]").forEach((node) => (node.textContent = data.count));
      $$("[data-refreshed]").forEach((node) => (node.innerHTML = data.refreshed));
      this.showBanner();
      if (inserted) updateSelection();
      this.announce();
      // Observable by tests and extensions: which rows the page has just shown.
      const pks = data.rows.map((row) => row.pk).concat(data.missing || []);
      document.dispatchEvent(new CustomEvent("argus:applied", { detail: { pks: pks, at: performance.now() } }));
    },

    // Replace the cells that changed; the row element, its selection box and the focus stay.
    updateRow(existing, fresh, matches) {
      const focusedCell = document.activeElement && existing.contains(document.activeElement)
        ? document.activeElement.closest("td") : null;
      const focusedCol = focusedCell ? focusedCell.dataset.col : null;
      const freshCells = new Map($$("td", fresh).map((td) => [td.dataset.col, td]));
      $$("td", existing).forEach((td) => {
        if (td.dataset.col === "row_select") return;
        const replacement = freshCells.get(td.dataset.col);
        if (!replacement) return;
        // an open dropdown (the maintenance tasks of the row) stays open
        if ($("details[open]", td)) $$("details", replacement).forEach((details) => (details.open = true));
        if (replacement.innerHTML !== td.innerHTML) td.innerHTML = replacement.innerHTML;
      });
      ["state-open", "state-closed", "state-stateless", "is-acked"].forEach((name) =>
        existing.classList.toggle(name, fresh.classList.contains(name)));
      existing.dataset.start = fresh.dataset.start;
      if (matches) {
        existing.classList.remove("stale");
        $$(".stale-note", existing).forEach((note) => note.remove());
      } else {
        this.markStale(existing, "no longer matches the filter");
      }
      if (focusedCol) {
        const cell = $('td[data-col="' + focusedCol + '"]', existing);
        const target = cell && $("a, button, input, summary", cell);
        if (target && document.activeElement === document.body) target.focus();
      }
      existing.classList.add("flash");
      setTimeout(() => existing.classList.remove("flash"), 600);
    },

    markStale(row, text) {
      if (!row.classList.contains("stale")) this.summary.stale += 1;
      row.classList.add("stale");
      $$(".stale-note", row).forEach((note) => note.remove());
      const note = document.createElement("span");
      note.className = "stale-note";
      note.textContent = "(" + text + ")";
      const cells = $$("td", row);
      if (cells.length) cells[cells.length - 1].appendChild(note);
    },

    insertRow(tbody, fresh, region) {
      const size = parseInt(region.dataset.pageSize, 10) || 10;
      const existing = rows();
      const empty = $("tr.empty", tbody);
      if (empty) empty.remove();
      const before = existing.find((row) => row.dataset.start < fresh.dataset.start ||
        (row.dataset.start === fresh.dataset.start && parseInt(row.dataset.pk, 10) < parseInt(fresh.dataset.pk, 10)));
      if (!before && existing.length >= size) return false;
      tbody.insertBefore(fresh, before || null);
      fresh.classList.add("flash");
      setTimeout(() => fresh.classList.remove("flash"), 600);
      const all = rows();
      while (all.length > size) {
        const last = all.pop();
        if (last.contains(document.activeElement)) break;
        last.remove();
      }
      return true;
    },

    showBanner() {
      const banner = $("#new-banner");
      if (!banner || !this.newCount) return;
      $("#new-banner-text").textContent = this.newCount + " new incident" + (this.newCount === 1 ? "" : "s");
      banner.hidden = false;
    },

    // A polite summary, at most once every 10 seconds.
    announce() {
      if (this.announceTimer) return;
      const wait = Math.max(0, this.lastAnnounce + ANNOUNCE_INTERVAL_MS - performance.now());
      this.announceTimer = setTimeout(() => {
        this.announceTimer = null;
        const s = this.summary;
        const parts = [];
        if (s.updated) parts.push(s.updated + " incident" + (s.updated === 1 ? "" : "s") + " updated");
        if (s.created) parts.push(s.created + " new");
        if (s.stale) parts.push(s.stale + " no longer matching");
        this.summary = { updated: 0, created: 0, stale: 0 };
        if (!parts.length) return;
        this.lastAnnounce = performance.now();
        const announcer = $("#announcer");
        if (announcer) announcer.textContent = parts.join(", ");
      }, wait);
    },

    async flushDetail() {
      const detail = $("#incident-detail");
      const pk = detail.dataset.pk;
      const relevant = this.pending.has(pk);
      this.pending.clear();
      if (!relevant) return;
      await this.replaceFromServer("#incident-detail");
      this.summary.updated += 1;
      this.announce();
      document.dispatchEvent(new CustomEvent("argus:applied", { detail: { pks: [Number(pk)], at: performance.now() } }));
    },

    async replaceFromServer(selector) {
      let response;
      try {
        response = await fetch(location.href, { headers: { Accept: "text/html" } });
      } catch (error) {  // unreachable (the server is restarting, say): the next poll tries again
        return;
      }
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = doc.querySelector(selector);
      const current = $(selector);
      if (!fresh || !current) return;
      const focusedId = document.activeElement && current.contains(document.activeElement) ? document.activeElement.id : null;
      const checked = new Set(selectedIds());
      current.replaceWith(fresh);
      $$(".js-only", fresh).forEach((node) => (node.hidden = false));
      $$("#incident-rows .row-select", fresh).forEach((box) => (box.checked = checked.has(box.value)));
      window.htmx.process(fresh);
      if (focusedId && document.getElementById(focusedId)) document.getElementById(focusedId).focus();
      return fresh;
    },

    async fullRefresh() {
      this.pending.clear();
      this.newCount = 0;
      let fresh = null;
      if ($("#incident-detail")) {
        fresh = await this.replaceFromServer("#incident-detail");
      } else if ($("#list-region")) {
        if ($("dialog[open]")) return;
        fresh = await this.replaceFromServer("#list-region");
        afterListSwap();
      }
      // Observable by tests: the whole view was fetched again.
      if (fresh) document.dispatchEvent(new CustomEvent("argus:refreshed", { detail: { at: performance.now() } }));
    },
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initPage);
  else initPage();
})();
