from django.urls import path

from assessments.api import views

urlpatterns = [
    path("assessments/", views.AssessmentListCreateApi.as_view(), name="api-assessment-list"),
    path(
        "assessments/<int:assessment_id>/",
        views.AssessmentDetailApi.as_view(),
        name="api-assessment-detail",
    ),
    path(
        "assessments/<int:assessment_id>/submit/",
        views.AssessmentSubmitApi.as_view(),
        name="api-assessment-submit",
    ),
    path(
        "assessments/<int:assessment_id>/reopen/",
        views.AssessmentReopenApi.as_view(),
        name="api-assessment-reopen",
    ),
    path(
        "assessments/<int:assessment_id>/answers/",
        views.AnswerListApi.as_view(),
        name="api-answer-list",
    ),
    path(
        "assessments/<int:assessment_id>/answers/<str:code>/",
        views.AnswerDetailApi.as_view(),
        name="api-answer-detail",
    ),
    path(
        "assessments/<int:assessment_id>/scorecard/",
        views.ScorecardApi.as_view(),
        name="api-scorecard",
    ),
    path(
        "assessments/<int:assessment_id>/scorecard/retry/",
        views.ScorecardRetryApi.as_view(),
        name="api-scorecard-retry",
    ),
    path(
        "assessments/<int:assessment_id>/reports/",
        views.ReportCreateApi.as_view(),
        name="api-assessment-report-list",
    ),
    path(
        "assessments/<int:assessment_id>/reports/<int:report_id>/",
        views.ReportDetailApi.as_view(),
        name="api-assessment-report-detail",
    ),
    path(
        "assessments/<int:assessment_id>/reports/<int:report_id>/retry/",
        views.ReportRetryApi.as_view(),
        name="api-assessment-report-retry",
    ),
    path(
        "assessments/<int:assessment_id>/reports/<int:report_id>/download/",
        views.ReportDownloadApi.as_view(),
        name="api-assessment-report-download",
    ),
    path(
        "assessments/<int:assessment_id>/reviews/<str:code>/",
        views.ReviewApi.as_view(),
        name="api-review",
    ),
]
