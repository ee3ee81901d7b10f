"""The one-tap stop page (the link in every reminder message) and the channel choice on the reminders page.

The stop link needs no sign-in: its token is the key, and it stops that one reminder's messages, nothing
else. GET shows one button (mail scanners follow links, so a GET changes nothing); POST stops them, and
mail clients' one-click unsubscribe (RFC 8058) posts here without a CSRF token."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from keel.access.http import AuthenticatedHttpRequest
from keel.reminders import queries, services


def _gone(request: HttpRequest) -> HttpResponse:
    """A link that is no one's (or already used): the neutral layout, not the site's 404 with its crisis
    line, as the stop pages themselves."""
    return render(request, "web/neutral_404.html", status=404)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def stop(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        if not services.stop(token):
            return _gone(request)
        return render(request, "reminders/stopped.html")
    if not queries.stop_link_known(token):
        return _gone(request)
    return render(request, "reminders/stop.html", {"token": token})


@require_POST
@login_required
def channel(request: AuthenticatedHttpRequest, reminder_id: int) -> HttpResponse:
    try:
        services.choose_channel(
            request.user, reminder_id=reminder_id, channel=request.POST.get("channel", "")
        )
        messages.success(request, _("Saved."))
    except services.ChannelInvalid:
        messages.error(request, _("Choose how to get this reminder."))
    return HttpResponseRedirect(reverse("recovery:reminders"))
