from django.urls import path

from principles import views

urlpatterns = [
    path("", views.principle_index, name="principle-list"),
    path("frameworks/", views.framework_index, name="framework-list"),
    path("frameworks/<slug:slug>/", views.framework_detail, name="framework-detail"),
    path(
        "frameworks/<slug:slug>/<str:version>/",
        views.framework_detail,
        name="framework-version-detail",
    ),
]
