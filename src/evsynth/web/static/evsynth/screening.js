// Single-key screening: i include, e exclude, m maybe, n next. Keys typed into a field are left alone.
(function () {
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (event.target && event.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    var target = document.querySelector('[data-key="' + event.key.toLowerCase() + '"]');
    if (!target) return;
    event.preventDefault();
    target.click();
  });
})();
