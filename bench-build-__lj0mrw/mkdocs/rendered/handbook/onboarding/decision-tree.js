// The clickable decision tree of the handbook's decision-tree page. It reads the tree that the page embeds as JSON
// at render time (from data/decision_tree.yaml, with every path's outcome and `./dev onboard` flags computed by the
// same code as `./dev decide`), asks the questions on the current path as radio groups, and shows the outcome, the
// paperwork and the command to copy. Without JavaScript the form stays hidden and the page's diagram and tables
// say the same.
(function () {
  "use strict";

  var SAFE_WORD = /^[A-Za-z0-9_.,:@%+=\/-]+$/;

  function shellWord(text) {
    return SAFE_WORD.test(text) ? text : "'" + text.replace(/'/g, "'\\''") + "'";
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text) node.textContent = text;
    return node;
  }

  function fieldsetFor(questionId, question, chosen) {
    var fieldset = element("fieldset", { "data-question": questionId });
    fieldset.appendChild(element("legend", {}, question.text));
    if (question.help) fieldset.appendChild(element("p", { class: "tree-help" }, question.help));
    question.answers.forEach(function (answer) {
      var id = "tree-" + questionId + "-" + answer.id;
      var input = element("input", { type: "radio", name: "tree-" + questionId, id: id, value: answer.id });
      input.checked = chosen === answer.id;
      var label = element("label", { for: id });
      label.appendChild(input);
      var suffix = answer.id === question.default ? " (default)" : "";
      label.appendChild(document.createTextNode(" " + answer.label + suffix));
      fieldset.appendChild(label);
    });
    return fieldset;
  }

  function start() {
    var source = document.getElementById("decision-tree-data");
    var app = document.getElementById("decision-tree-app");
    if (!source || !app) return;
    var tree = JSON.parse(source.textContent);
    var answers = {};
    var questionsBox = app.querySelector("[data-questions]");
    var result = app.querySelector("[data-result]");
    var tenantInput = app.querySelector("[data-tenant]");
    var connectorInputs = Array.prototype.slice.call(app.querySelectorAll("[data-connector]"));
    var command = app.querySelector("[data-command]");
    var copyButton = app.querySelector("[data-copy]");
    var copyStatus = app.querySelector("[data-copy-status]");
    var announce = app.querySelector("[data-announce]");

    // The questions the current answers reach, in order, and the path key once an outcome is reached.
    function walk() {
      var asked = [];
      var pairs = [];
      var id = tree.start;
      while (tree.questions[id]) {
        asked.push(id);
        var chosen = answers[id];
        var answer = tree.questions[id].answers.filter(function (a) {
          return a.id === chosen;
        })[0];
        if (!answer) return { asked: asked, key: null };
        pairs.push(id + "=" + answer.id);
        id = answer.next;
      }
      return { asked: asked, key: pairs.join(",") };
    }

    function renderQuestions(asked) {
      Array.prototype.slice.call(questionsBox.children).forEach(function (fieldset) {
        if (asked.indexOf(fieldset.getAttribute("data-question")) < 0) questionsBox.removeChild(fieldset);
      });
      asked.forEach(function (id, index) {
        var existing = questionsBox.querySelector('[data-question="' + id + '"]');
        var fieldset = existing || fieldsetFor(id, tree.questions[id], answers[id]);
        if (questionsBox.children[index] !== fieldset) {
          questionsBox.insertBefore(fieldset, questionsBox.children[index] || null);
        }
      });
    }

    function commandFor(outcome) {
      var connectors = connectorInputs
        .filter(function (input) {
          return input.checked;
        })
        .map(function (input) {
          return input.value;
        });
      var tenant = tenantInput.value.trim();
      var words = ["./dev", "onboard", tenant ? shellWord(tenant) : "<tenant>"];
      outcome.flags.forEach(function (flag) {
        var value = flag[0] === "--connectors" ? connectors.join(",") || "<ids>" : flag[1];
        words.push(flag[0], value);
      });
      return words.join(" ");
    }

    function renderResult(key, asked) {
      var outcome = key ? tree.results[key] : null;
      result.hidden = !outcome;
      if (!outcome) {
        announce.textContent = "Next question: " + tree.questions[asked[asked.length - 1]].text;
        return;
      }
      var said = "Outcome: " + outcome.title + ". The command for the kit is below.";
      if (announce.textContent !== said) announce.textContent = said;
      result.querySelector("[data-title]").textContent = outcome.title;
      result.querySelector("[data-summary]").textContent = outcome.summary;
      var decided = result.querySelector("[data-decided]");
      decided.textContent = "";
      outcome.decided.forEach(function (item) {
        var entry = element("li");
        entry.appendChild(element("strong", {}, item.fact + ": "));
        entry.appendChild(document.createTextNode(item.value));
        if (item.why) {
          entry.appendChild(element("br"));
          entry.appendChild(element("span", { class: "tree-why" }, "Why: " + item.why));
        }
        decided.appendChild(entry);
      });
      var list = result.querySelector("[data-paperwork]");
      list.textContent = "";
      outcome.paperwork.forEach(function (line) {
        list.appendChild(element("li", {}, line));
      });
      command.textContent = commandFor(outcome);
    }

    function update() {
      var walked = walk();
      Object.keys(answers).forEach(function (id) {
        if (walked.asked.indexOf(id) < 0) delete answers[id];
      });
      renderQuestions(walked.asked);
      renderResult(walked.key, walked.asked);
      copyStatus.textContent = "";
    }

    questionsBox.addEventListener("change", function (event) {
      var fieldset = event.target.closest("fieldset");
      answers[fieldset.getAttribute("data-question")] = event.target.value;
      update();
    });
    app.querySelector("[data-tree-form]").addEventListener("submit", function (event) {
      event.preventDefault();
    });
    tenantInput.addEventListener("input", update);
    connectorInputs.forEach(function (input) {
      input.addEventListener("change", update);
    });
    copyButton.addEventListener("click", function () {
      var text = command.textContent;
      var done = function () {
        copyStatus.textContent = "Command copied.";
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () {
          copyStatus.textContent = "Copy failed: select the command and copy it.";
        });
      } else {
        window.getSelection().selectAllChildren(command);
        copyStatus.textContent = "Command selected: press Ctrl+C to copy it.";
      }
    });
    app.hidden = false;
    update();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
