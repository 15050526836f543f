/* The category mapping form: search the account's marketplace categories, pick a leaf
 * (fills the marketplace category id and name), then choose the values of its attributes
 * (kept in the attribute values JSON). The marketplace category id input carries the URLs
 * of the two admin JSON views and the translated words (data-*). Loaded as a static file:
 * the Content-Security-Policy allows no inline script.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 300;
  var MIN_LETTERS = 2;

  function make(tag, className, text) {
    var element = document.createElement(tag);
    if (className) { element.className = className; }
    if (text !== undefined && text !== null) { element.textContent = String(text); }
    return element;
  }

  function rowOf(input) {
    return input.closest(".form-row") || input.parentElement;
  }

  function getJson(url, params) {
    var query = Object.keys(params).map(function (key) {
      return encodeURIComponent(key) + "=" + encodeURIComponent(params[key]);
    }).join("&");
    return fetch(url + "?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) {
            var message = (data.error && data.error.message) || ("HTTP " + response.status);
            var details = (data.error && data.error.details) || {};
            Object.keys(details).forEach(function (key) {
              message += " " + [].concat(details[key]).join(" ");
            });
            throw new Error(message);
          }
          return data;
        });
      });
  }

  function readValues(textarea) {
    try {
      var parsed = JSON.parse(textarea.value || "{}");
      return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : {};
    } catch (error) {
      return {};
    }
  }

  function writeValue(textarea, id, value) {
    var values = readValues(textarea);
    if (value === undefined) {
      delete values[id];
    } else {
      values[id] = value;
    }
    textarea.value = JSON.stringify(values);
    textarea.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function setup(idInput) {
    var texts = JSON.parse(idInput.getAttribute("data-texts") || "{}");
    var account = document.getElementById("id_account");
    var nameInput = document.getElementById("id_marketplace_category_name");
    var valuesInput = document.getElementById("id_attribute_values");

    // --- the search box, above the id row (laid out like the admin's own rows) ------------
    var box = make("div", "form-row mp-category-search");
    box.id = "mp-category-search";
    var line = make("div", "flex-container");
    var label = make("label", "", texts.search + ":");
    label.htmlFor = "mp-category-q";
    var controls = make("div", "mp-category-search__controls");
    var query = make("input", "vTextField");
    query.type = "search";
    query.id = "mp-category-q";
    query.placeholder = texts.placeholder || "";
    query.autocomplete = "off";
    var button = make("button", "button", texts.button);
    button.type = "button";
    var refreshLabel = make("label", "vCheckboxLabel mp-category-search__refresh");
    var refresh = make("input");
    refresh.type = "checkbox";
    refresh.id = "mp-category-refresh";
    refreshLabel.appendChild(refresh);
    refreshLabel.appendChild(document.createTextNode(" " + (texts.refresh || "")));
    [query, button, refreshLabel].forEach(function (el) { controls.appendChild(el); });
    line.appendChild(label);
    line.appendChild(controls);
    var below = make("div", "help mp-category-search__below");
    var status = make("p", "mp-category-search__status");
    status.id = "mp-category-status";
    status.setAttribute("role", "status");
    var results = make("ul", "mp-category-results");
    results.id = "mp-category-results";
    below.appendChild(status);
    below.appendChild(results);
    var inner = make("div");
    inner.appendChild(line);
    inner.appendChild(below);
    box.appendChild(inner);
    var idRow = rowOf(idInput);
    idRow.parentNode.insertBefore(box, idRow);

    // --- the attributes, below the attribute values row -------------------------------------
    var panel = make("div", "mp-category-attributes");
    panel.id = "mp-category-attributes";
    panel.hidden = true;
    if (valuesInput) {
      var valuesRow = rowOf(valuesInput);
      valuesRow.parentNode.insertBefore(panel, valuesRow.nextSibling);
    }

    function say(text, isError) {
      status.textContent = text || "";
      status.classList.toggle("errornote", Boolean(isError));
    }

    function renderAttributes(data) {
      panel.textContent = "";
      panel.hidden = false;
      panel.appendChild(make("h3", "", texts.attributes + ": " + data.category.path));
      var current = readValues(valuesInput);
      var bySync = data.attributes.filter(function (a) { return a.filled_by_sync; });
      var shown = data.attributes.filter(function (a) { return !a.filled_by_sync; });
      if (!shown.length) {
        panel.appendChild(make("p", "mp-attribute__by-sync", texts.no_attributes));
      }
      shown.forEach(function (attribute) {
        var row = make("div", "form-row mp-attribute");
        row.setAttribute("data-attribute", attribute.id);
        var rowLine = make("div", "flex-container");
        var inputId = "mp-attribute-" + attribute.id.replace(/[^A-Za-z0-9_-]/g, "_");
        var caption = make("label", attribute.needed ? "required" : "", attribute.name + ":");
        caption.htmlFor = inputId;
        rowLine.appendChild(caption);
        var known = Object.prototype.hasOwnProperty.call(current, attribute.id) ? current[attribute.id] : undefined;
        var field;
        if (attribute.values.length) {
          field = make("select");
          field.appendChild(make("option", "", texts.empty)).value = "";
          attribute.values.forEach(function (choice, index) {
            var option = make("option", "", choice.label);
            option.value = String(index);
            if (known !== undefined && String(known) === String(choice.value)) { option.selected = true; }
            field.appendChild(option);
          });
          field.addEventListener("change", function () {
            var chosen = field.value === "" ? undefined : attribute.values[Number(field.value)].value;
            writeValue(valuesInput, attribute.id, chosen);
          });
        } else {
          field = make("input", "vTextField");
          field.type = "text";
          if (known !== undefined) { field.value = String(known); }
          field.addEventListener("change", function () {
            var text = field.value.trim();
            // a dictionary value typed by its id (no free text allowed) is a number
            var value = text === "" ? undefined : (!attribute.allow_custom && /^\d+$/.test(text) ? Number(text) : text);
            writeValue(valuesInput, attribute.id, value);
          });
        }
        field.id = inputId;
        rowLine.appendChild(field);
        var inner = make("div");
        inner.appendChild(rowLine);
        inner.appendChild(make("div", "help", attribute.id + (attribute.needed ? " · " + texts.required : "")));
        row.appendChild(inner);
        panel.appendChild(row);
      });
      if (bySync.length) {
        var note = make("div", "form-row");
        note.appendChild(make("p", "mp-attribute__by-sync",
          texts.by_sync + " " + bySync.map(function (a) { return a.name; }).join(", ")));
        panel.appendChild(note);
      }
    }

    function loadAttributes(categoryId) {
      if (!account || !account.value || !categoryId || !valuesInput) { return; }
      panel.hidden = false;
      panel.textContent = texts.loading;
      getJson(idInput.getAttribute("data-category-attributes"),
              { account: account.value, category: categoryId, refresh: refresh.checked ? "1" : "" })
        .then(renderAttributes)
        .catch(function (error) {
          panel.textContent = "";
          panel.appendChild(make("p", "errornote", error.message || texts.failed));
        });
    }

    function choose(leaf) {
      idInput.value = leaf.id;
      if (nameInput) { nameInput.value = leaf.name; }
      results.textContent = "";
      say(leaf.path);
      loadAttributes(leaf.id);
    }

    function search() {
      var text = query.value.trim();
      results.textContent = "";
      if (!account || !account.value) { say(texts.choose_account, true); return; }
      if (text.length < MIN_LETTERS) { say(""); return; }
      say(texts.searching);
      getJson(idInput.getAttribute("data-category-search"),
              { account: account.value, q: text, refresh: refresh.checked ? "1" : "" })
        .then(function (data) {
          if (query.value.trim() !== text) { return; }  // a newer search is on its way
          refresh.checked = false;
          say(data.results.length ? "" : texts.none);
          data.results.forEach(function (leaf) {
            var item = make("li");
            var pick = make("button", "mp-category-results__pick", leaf.path);
            pick.type = "button";
            pick.setAttribute("data-category-id", leaf.id);
            pick.addEventListener("click", function () { choose(leaf); });
            item.appendChild(pick);
            item.appendChild(make("span", "mp-category-results__id", leaf.id));
            results.appendChild(item);
          });
        })
        .catch(function (error) { say(error.message || texts.failed, true); });
    }

    var timer = null;
    query.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DEBOUNCE_MS);
    });
    query.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {  // search, do not submit the form
        event.preventDefault();
        window.clearTimeout(timer);
        search();
      }
    });
    button.addEventListener("click", search);
    idInput.addEventListener("change", function () { loadAttributes(idInput.value.trim()); });
    if (account) {
      account.addEventListener("change", function () { results.textContent = ""; panel.hidden = true; });
    }
    if (idInput.value) { loadAttributes(idInput.value.trim()); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var idInput = document.querySelector("input[data-category-search]");
    if (idInput) { setup(idInput); }
  });
})();
