// The drafting workbench: select a sentence of the draft and the advice it came from is
// highlighted (and scrolled into view) in the advice pane. A file, not inline script (the
// Content-Security-Policy allows none). Without it each sentence's source links still jump
// to the span, which CSS highlights with :target.
(function () {
  'use strict';
  var HIGHLIGHT = 'app-source--highlight';
  var SELECTED = 'app-sentence--selected';

  function clear() {
    document.querySelectorAll('.' + HIGHLIGHT).forEach(function (el) { el.classList.remove(HIGHLIGHT); });
    document.querySelectorAll('.' + SELECTED).forEach(function (el) {
      el.classList.remove(SELECTED);
      el.removeAttribute('aria-current');
    });
  }

  function select(sentence, focusSource) {
    clear();
    sentence.classList.add(SELECTED);
    sentence.setAttribute('aria-current', 'true');
    var ids = (sentence.getAttribute('data-sources') || '').split(' ').filter(Boolean);
    var first = null;
    ids.forEach(function (id) {
      var span = document.getElementById(id);
      if (span) {
        span.classList.add(HIGHLIGHT);
        first = first || span;
      }
    });
    if (first) {
      var pane = document.getElementById('advice-pane');
      if (pane) {
        pane.scrollTop = first.offsetTop - pane.offsetTop - 40;
      }
      if (focusSource) {
        first.setAttribute('tabindex', '-1');
        first.focus({ preventScroll: true });
      }
    }
  }

  document.addEventListener('click', function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    if (target.closest('.app-sentence__edit, details')) { return; }
    var sentence = target.closest('.app-sentence');
    if (!sentence) { return; }
    if (target.closest('.app-sentence__source')) {
      event.preventDefault(); // highlight every source, not only the linked one
      select(sentence, true);
      return;
    }
    select(sentence, false);
  });

  if (window.location.hash.indexOf('#sentence-') === 0) {
    var chosen = document.getElementById(window.location.hash.slice(1));
    if (chosen) { select(chosen, false); }
  }
})();
