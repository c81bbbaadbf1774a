from assessments.views import answering, reports, reviewing, xlsx

urlpatterns = answering.urlpatterns + reviewing.urlpatterns + reports.urlpatterns + xlsx.urlpatterns
