/* passkeys.js: the WebAuthn ceremonies (issue 16), kept out of the HTML so the
 * Content-Security-Policy can forbid inline scripts.
 *  - Where the browser has WebAuthn (window.PublicKeyCredential), [data-needs-webauthn]
 *    is shown and [data-without-webauthn] hidden. Without it, or without JavaScript,
 *    the passkey controls stay hidden and the other methods remain.
 *  - form[data-passkey="create"|"get"]: on submit, POST to data-options-url (with the
 *    form's CSRF token) for the server's options, run navigator.credentials.create()
 *    or .get(), put the answer (JSON, binary fields in base64url) in the form's
 *    `credential` field and submit the form: a plain POST, which the server verifies.
 * Messages come from the page (data-failed-text) or the server, in the reader's language. */
(function () {
  "use strict";

  var supported = !!(window.PublicKeyCredential && navigator.credentials && window.fetch);

  function toBuffer(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64), bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer), binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      var copy = {type: item.type, id: toBuffer(item.id)};
      if (item.transports) copy.transports = item.transports;
      return copy;
    });
  }

  function common(credential, response) {
    return {
      id: credential.id, rawId: toText(credential.rawId), type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: response
    };
  }

  function create(options) {
    options.challenge = toBuffer(options.challenge);
    options.user.id = toBuffer(options.user.id);
    options.excludeCredentials = descriptors(options.excludeCredentials);
    return navigator.credentials.create({publicKey: options}).then(function (credential) {
      var r = credential.response;
      return common(credential, {
        clientDataJSON: toText(r.clientDataJSON), attestationObject: toText(r.attestationObject),
        transports: r.getTransports ? r.getTransports() : []
      });
    });
  }

  function get(options) {
    options.challenge = toBuffer(options.challenge);
    options.allowCredentials = descriptors(options.allowCredentials);
    return navigator.credentials.get({publicKey: options}).then(function (credential) {
      var r = credential.response;
      return common(credential, {
        clientDataJSON: toText(r.clientDataJSON), authenticatorData: toText(r.authenticatorData),
        signature: toText(r.signature), userHandle: r.userHandle ? toText(r.userHandle) : null
      });
    });
  }

  function showError(form, message) {
    var box = form.parentElement.querySelector("[data-passkey-error]");
    if (!box) return;
    box.hidden = !message;  // shown first, then filled: the live region announces the words
    box.textContent = message;
  }

  function options(form) {
    var token = form.querySelector('input[name="csrf_token"]').value;
    return fetch(form.dataset.optionsUrl, {
      method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": token, "Accept": "application/json"}
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.ok && body.challenge) return body;
        var error = new Error(body.error || form.dataset.failedText);
        error.fromServer = true;
        throw error;
      });
    });
  }

  function ceremony(form, field) {
    var button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    showError(form, "");
    options(form).then(function (answer) {
      return form.dataset.passkey === "create" ? create(answer) : get(answer);
    }).then(function (answer) {
      field.value = JSON.stringify(answer);
      form.submit();  // a plain POST: the server verifies, then answers with the next page
    }).catch(function (error) {
      if (button) button.disabled = false;
      showError(form, error && error.fromServer ? error.message : form.dataset.failedText);
    });
  }

  // Capture: runs before any other submit handler of the form.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!supported || !form.matches || !form.matches("form[data-passkey]")) return;
    var field = form.querySelector('input[name="credential"]');
    var name = form.querySelector('input[name="name"]');
    if (!field || field.value || (name && !name.value.trim())) return;  // the server says what is missing
    event.preventDefault();
    event.stopPropagation();
    ceremony(form, field);
  }, true);

  function enhance(root) {
    if (!supported) return;
    root.querySelectorAll("[data-needs-webauthn]").forEach(function (el) { el.hidden = false; });
    root.querySelectorAll("[data-without-webauthn]").forEach(function (el) { el.hidden = true; });
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSwap", function (event) { enhance(event.detail.target || event.target); });
})();
