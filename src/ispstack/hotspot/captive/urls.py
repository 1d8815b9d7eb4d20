"""Public routes of the captive portal and the lease-script endpoint,
mounted under ``/hotspot/`` by ``ispstack.urls``."""

from django.urls import path

from ispstack.hotspot.captive import views
from ispstack.hotspot.onboarding.views import mac_onboarding

urlpatterns = [
    path("mac-onboarding/", mac_onboarding, name="hotspot-mac-onboarding"),
    path("<slug:tenant>/login/", views.LoginView.as_view(), name="hotspot-captive-login"),
    path("<slug:tenant>/register/", views.RegisterView.as_view(), name="hotspot-captive-register"),
    path("<slug:tenant>/verify/", views.VerifyView.as_view(), name="hotspot-captive-verify"),
    path("<slug:tenant>/terms/", views.TermsView.as_view(), name="hotspot-captive-terms"),
]
