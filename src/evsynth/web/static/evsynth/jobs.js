// Poll a job's status row until it is done or failed, then reload to show its result.
(function () {
  var box = document.getElementById("job");
  if (!box) return;
  var status = box.dataset.status;
  if (status === "done" || status === "failed") return;
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        box.querySelector(".job-status").textContent = job.status;
        box.querySelector(".job-progress").textContent = job.total ? job.progress + "/" + job.total : "";
        box.querySelector(".job-message").textContent = job.message;
        if (job.status === "done" || job.status === "failed") { window.location.reload(); }
        else { setTimeout(poll, 1000); }
      });
  }
  setTimeout(poll, 500);
})();
