"""The session page's one script: the replay player (a scrubber and a play button over the
frames the server re-renders from the log), the key frames and the needle-path pictures.

Served as a file of the site (``/hub.js``) so the pages' Content-Security-Policy allows no
inline script. It writes text only through ``textContent``: nothing it shows is parsed as
HTML.
"""

REPLAY_JS = r"""
"use strict";
(function () {
  const box = document.getElementById("replay");
  if (!box) { return; }
  const img = document.getElementById("replay-frame");
  const scrub = document.getElementById("replay-scrub");
  const play = document.getElementById("replay-play");
  const time = document.getElementById("replay-time");
  const status = document.getElementById("replay-status");
  let frames = [], playing = false, base = "";

  function show(i) {
    scrub.value = String(i);
    time.textContent = "tick " + frames[i].tick + ", " + frames[i].time_s.toFixed(1) + " s";
    img.src = base + "frames/" + i + ".png";
  }
  function stop() { playing = false; play.textContent = "Play"; }
  function figure(parent, src, title, caption, onclick) {
    const fig = document.createElement("figure");
    if (title) {
      const t = document.createElement("div");
      t.className = "ftitle"; t.textContent = title; fig.appendChild(t);
    }
    const pic = document.createElement("img");
    pic.src = src; pic.alt = caption;
    if (onclick) { pic.className = "key"; pic.addEventListener("click", onclick); }
    const cap = document.createElement("figcaption");
    cap.textContent = caption;
    fig.appendChild(pic); fig.appendChild(cap); parent.appendChild(fig);
  }

  scrub.addEventListener("input", function () { stop(); show(Number(scrub.value)); });
  play.addEventListener("click", function () {
    if (playing) { stop(); return; }
    if (Number(scrub.value) >= frames.length - 1) { show(0); }
    playing = true; play.textContent = "Pause";
    img.dispatchEvent(new Event("load"));
  });
  img.addEventListener("load", function () {
    if (!playing) { return; }
    const next = Number(scrub.value) + 1;
    if (next >= frames.length) { stop(); return; }
    window.setTimeout(function () { if (playing) { show(next); } }, 150);
  });

  fetch(box.dataset.src, {credentials: "same-origin"})
    .then(function (r) { return r.json(); })
    .then(function (data) {
      if (data.error) { status.textContent = "No replay: " + data.error; return; }
      base = data.base; frames = data.frames;
      scrub.max = String(frames.length - 1);
      scrub.disabled = false; play.disabled = false;
      status.textContent = data.note;
      show(0);
      const keys = document.getElementById("replay-keys");
      data.key_frames.forEach(function (k, i) {
        figure(keys, base + "keyframes/" + i + ".png", k.title, k.caption,
               function () { stop(); show(k.index); });
      });
      if (!data.key_frames.length) {
        const p = document.createElement("p");
        p.textContent = "No key moment happened in this attempt (the skin was never punctured).";
        keys.appendChild(p);
      }
      const path = document.getElementById("replay-path");
      figure(path, base + "timeline.png", "",
             "Depth of the needle tip (down = deeper) and the tissue it was in, " +
             "with events marked.");
      figure(path, base + "path.png", "",
             "The path of the needle tip among the bones, the joint and the danger " +
             "structures near it.");
    })
    .catch(function (e) { status.textContent = "The replay could not be loaded: " + e; });
})();
"""
