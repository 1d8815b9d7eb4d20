"""Logging in and out of the console: the admin's login form (password, then
the one-time password for staff who set one up; django-axes locks a username
after repeated failures), on the console's own page."""

from __future__ import annotations

from django.contrib.auth import views as auth_views

from ispstack.core.admin_site import StaffLoginForm


class LoginView(auth_views.LoginView):
    """``/staff/login/``: staff sign in; ``?next=`` brings them back."""

    form_class = StaffLoginForm
    template_name = "console/login.html"
    redirect_authenticated_user = True
    next_page = "console:home"


class LogoutView(auth_views.LogoutView):
    """``POST /staff/logout/``: ends the session, back to the login page."""

    next_page = "console:login"
