from django.urls import path

from rfx.api import reports, team, views

urlpatterns = [
    path("rfx/", views.RFxListCreateApi.as_view(), name="api-rfx-list"),
    path(
        "rfx/invitations/accept/",
        views.InvitationAcceptApi.as_view(),
        name="api-rfx-invitation-accept",
    ),
    path(
        "rfx/invitations/decline/",
        views.InvitationDeclineApi.as_view(),
        name="api-rfx-invitation-decline",
    ),
    path("rfx/<int:rfx_id>/", views.RFxDetailApi.as_view(), name="api-rfx-detail"),
    path("rfx/<int:rfx_id>/publish/", views.RFxPublishApi.as_view(), name="api-rfx-publish"),
    path("rfx/<int:rfx_id>/cancel/", views.RFxCancelApi.as_view(), name="api-rfx-cancel"),
    path(
        "rfx/<int:rfx_id>/extra-questionnaire/",
        views.ExtraQuestionnaireApi.as_view(),
        name="api-rfx-extra-questionnaire",
    ),
    path(
        "rfx/<int:rfx_id>/sections/<slug:key>/",
        views.SectionApi.as_view(),
        name="api-rfx-section",
    ),
    path(
        "rfx/<int:rfx_id>/invitations/",
        views.InvitationListCreateApi.as_view(),
        name="api-rfx-invitation-list",
    ),
    path(
        "rfx/<int:rfx_id>/invitations/<int:invitation_id>/resend/",
        views.InvitationResendApi.as_view(),
        name="api-rfx-invitation-resend",
    ),
    path(
        "rfx/<int:rfx_id>/clarifications/",
        views.ClarificationListCreateApi.as_view(),
        name="api-rfx-clarification-list",
    ),
    path(
        "rfx/<int:rfx_id>/clarifications/<int:clarification_id>/answer/",
        views.ClarificationAnswerApi.as_view(),
        name="api-rfx-clarification-answer",
    ),
    path(
        "rfx/<int:rfx_id>/submissions/",
        views.SubmissionListApi.as_view(),
        name="api-rfx-submission-list",
    ),
    path("rfx/<int:rfx_id>/proposal/", views.OwnProposalApi.as_view(), name="api-rfx-proposal"),
    path(
        "rfx/<int:rfx_id>/proposal/submit/",
        views.OwnProposalSubmitApi.as_view(),
        name="api-rfx-proposal-submit",
    ),
    path(
        "rfx/<int:rfx_id>/proposal/reopen/",
        views.OwnProposalReopenApi.as_view(),
        name="api-rfx-proposal-reopen",
    ),
    path(
        "rfx/<int:rfx_id>/proposal/documents/",
        views.OwnProposalDocumentListApi.as_view(),
        name="api-rfx-proposal-documents",
    ),
    path(
        "rfx/<int:rfx_id>/proposal/documents/<int:document_id>/",
        views.OwnProposalDocumentApi.as_view(),
        name="api-rfx-proposal-document",
    ),
    path(
        "rfx/<int:rfx_id>/proposals/<int:proposal_id>/documents/<int:document_id>/download/",
        views.ProposalDocumentDownloadApi.as_view(),
        name="api-rfx-proposal-document-download",
    ),
    path(
        "rfx/<int:rfx_id>/proposals/",
        views.ProposalListApi.as_view(),
        name="api-rfx-proposal-list",
    ),
    path(
        "rfx/<int:rfx_id>/terms-scores/<int:proposal_id>/",
        views.TermsScoreApi.as_view(),
        name="api-rfx-terms-score",
    ),
    path(
        "rfx/<int:rfx_id>/declaration/",
        views.DeclarationApi.as_view(),
        name="api-rfx-declaration",
    ),
    path("rfx/<int:rfx_id>/team/", team.TeamListApi.as_view(), name="api-rfx-team"),
    path(
        "rfx/<int:rfx_id>/team/<int:reviewer_id>/",
        team.TeamMemberApi.as_view(),
        name="api-rfx-team-member",
    ),
    path("rfx/<int:rfx_id>/lock/", views.LockApi.as_view(), name="api-rfx-lock"),
    path("rfx/<int:rfx_id>/evaluated/", views.EvaluatedApi.as_view(), name="api-rfx-evaluated"),
    path("rfx/<int:rfx_id>/ranking/", views.RankingApi.as_view(), name="api-rfx-ranking"),
    path("rfx/<int:rfx_id>/award/", views.AwardApi.as_view(), name="api-rfx-award"),
    path("rfx/<int:rfx_id>/feedback/", views.FeedbackApi.as_view(), name="api-rfx-feedback"),
    path(
        "rfx/<int:rfx_id>/scorecards/",
        reports.ScorecardListCreateApi.as_view(),
        name="api-rfx-scorecard-list",
    ),
    path(
        "rfx/<int:rfx_id>/scorecards/<int:report_id>/",
        reports.ScorecardDetailApi.as_view(),
        name="api-rfx-scorecard-detail",
    ),
    path(
        "rfx/<int:rfx_id>/scorecards/<int:report_id>/retry/",
        reports.ScorecardRetryApi.as_view(),
        name="api-rfx-scorecard-retry",
    ),
    path(
        "rfx/<int:rfx_id>/scorecards/<int:report_id>/download/",
        reports.ScorecardDownloadApi.as_view(),
        name="api-rfx-scorecard-download",
    ),
    path(
        "rfx/<int:rfx_id>/evaluation-matrix.csv",
        reports.MatrixCsvApi.as_view(),
        name="api-rfx-matrix-csv",
    ),
    path(
        "rfx/<int:rfx_id>/evaluation-matrix.xlsx",
        reports.MatrixXlsxApi.as_view(),
        name="api-rfx-matrix-xlsx",
    ),
]
