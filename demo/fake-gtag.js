// A stand-in for Google's tag (gtag.js): like the real one it reads the
// commands queued in dataLayer and every command pushed after it loaded.
// It records the consent-mode calls it receives in window.googleConsentCalls
// and keeps the resulting consent state, the way Google's tag would apply it.
(function () {
  var dataLayer = (window.dataLayer = window.dataLayer || []);
  var calls = (window.googleConsentCalls = []);
  var state = (window.googleConsentState = {});
  function receive(command) {
    if (!command || command[0] !== "consent") return;
    var params = JSON.parse(JSON.stringify(command[2] || {}));
    calls.push([command[1], params]);
    Object.keys(params).forEach(function (key) {
      if (/_storage$|^ad_/.test(key)) state[key] = params[key];
    });
    window.dispatchEvent(new CustomEvent("demo:gtag", { detail: [command[1], params] }));
  }
  dataLayer.forEach(receive);
  var push = dataLayer.push;
  dataLayer.push = function () {
    for (var i = 0; i < arguments.length; i++) receive(arguments[i]);
    return push.apply(dataLayer, arguments);
  };
})();
