from django.urls import path

from principles.api import views

urlpatterns = [
    path("principles/", views.PrincipleListApi.as_view(), name="api-principle-list"),
    path("frameworks/", views.FrameworkListApi.as_view(), name="api-framework-list"),
    path(
        "frameworks/<slug:slug>/", views.FrameworkDetailApi.as_view(), name="api-framework-detail"
    ),
    path(
        "frameworks/<slug:slug>/<str:version>/",
        views.FrameworkVersionDetailApi.as_view(),
        name="api-framework-version-detail",
    ),
]
