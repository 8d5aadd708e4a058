/* castline: timestamps in the chapters and transcript seek the episode's
   player; "#t=90" in the address starts there; the chapter playing is marked. */
(function () {
  "use strict";
  var player = document.getElementById("player");
  if (!player) return;
  var chapters = Array.prototype.slice.call(document.querySelectorAll(".chapters [data-seek]"));

  function seek(seconds, play) {
    if (!isFinite(seconds)) return;
    player.currentTime = seconds;
    if (play) {
      var started = player.play();
      if (started && started.catch) started.catch(function () {});
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-seek]") : null;
    if (!link) return;
    event.preventDefault();
    seek(parseFloat(link.getAttribute("data-seek")), true);
    history.replaceState(null, "", "#t=" + link.getAttribute("data-seek"));
  });

  player.addEventListener("timeupdate", function () {
    var now = player.currentTime, current = null;
    chapters.forEach(function (link) {
      if (parseFloat(link.getAttribute("data-seek")) <= now + 0.05) current = link;
    });
    chapters.forEach(function (link) {
      if (link === current) link.setAttribute("aria-current", "time");
      else link.removeAttribute("aria-current");
    });
  });

  var start = /^#t=(\d+(?:\.\d+)?)$/.exec(location.hash);
  if (start) seek(parseFloat(start[1]), false);
})();
