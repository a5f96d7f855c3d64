// The report page's only script, run in the browser: draws each chart from the options the server embedded, and
// lets the keyboard read a chart (arrow keys step through the canary's points in the tooltip, Escape hides it).
// Plain ES2015 text, since it is sent as is; the page's Content-Security-Policy allows it by hash.
export const PAGE_SCRIPT = `(function () {
  'use strict';
  var options = JSON.parse(document.getElementById('report-charts').textContent);
  var charts = [];
  document.querySelectorAll('[data-chart]').forEach(function (element) {
    var option = options[Number(element.getAttribute('data-chart'))];
    var chart = echarts.init(element, null, { renderer: 'svg' });
    chart.on('finished', function () { element.setAttribute('data-drawn', 'true'); });
    chart.setOption(option);
    charts.push(chart);
    var canary = -1;
    option.series.forEach(function (series, i) { if (/^canary \\(/.test(series.name)) canary = i; });
    var points = canary < 0 ? 0 : option.series[canary].data.length;
    var at = -1;
    element.addEventListener('keydown', function (event) {
      if ((event.key === 'ArrowRight' || event.key === 'ArrowLeft') && points > 0) {
        at = event.key === 'ArrowRight' ? Math.min(points - 1, at + 1) : Math.max(0, at - 1);
        chart.dispatchAction({ type: 'showTip', seriesIndex: canary, dataIndex: at });
        event.preventDefault();
      } else if (event.key === 'Escape') {
        chart.dispatchAction({ type: 'hideTip' });
      }
    });
    element.addEventListener('blur', function () { chart.dispatchAction({ type: 'hideTip' }); });
  });
  window.addEventListener('resize', function () { charts.forEach(function (chart) { chart.resize(); }); });
})();`;
