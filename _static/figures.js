// Every figure a chapter draws opens full-size in a new tab when clicked, so its labels can be
// read at the figure's own resolution whatever the width of the page.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("div.cell_output img").forEach(function (img) {
    if (img.closest("a")) return;
    var link = document.createElement("a");
    link.href = img.src;
    link.target = "_blank";
    link.rel = "noopener";
    link.title = "Open the figure full-size";
    img.parentNode.insertBefore(link, img);
    link.appendChild(img);
  });
});
