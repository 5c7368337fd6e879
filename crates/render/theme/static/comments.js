// Replying in place: a Reply link moves the comment form under the comment it answers
// (without JavaScript the link loads the page with the form set to reply). Cancel
// puts the form back under the conversation.
(function () {
  "use strict";
  var respond = document.getElementById("respond");
  var parent = document.getElementById("comment_parent");
  var cancel = document.getElementById("cancel-comment-reply-link");
  var title = document.getElementById("reply-title");
  if (!respond || !parent || !cancel || !title) return;
  var home = document.createElement("div");
  home.id = "respond-home";
  home.hidden = true;
  respond.parentNode.insertBefore(home, respond);
  var heading = title.firstChild;

  function setHeading(text) {
    if (heading && heading.nodeType === Node.TEXT_NODE) heading.textContent = text + " ";
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".comment-reply-link");
    if (!link) return;
    var comment = document.getElementById("comment-" + link.dataset.comment);
    if (!comment) return;
    event.preventDefault();
    var body = comment.querySelector(".comment-body");
    body.parentNode.insertBefore(respond, body.nextSibling);
    parent.value = link.dataset.comment;
    setHeading("Leave a Reply to " + link.dataset.author);
    cancel.hidden = false;
    var text = document.getElementById("comment");
    if (text) text.focus();
  });

  cancel.addEventListener("click", function (event) {
    event.preventDefault();
    home.parentNode.insertBefore(respond, home.nextSibling);
    parent.value = "0";
    setHeading("Leave a Reply");
    cancel.hidden = true;
  });
})();
