from rest_framework import serializers

from principles.models import Criterion, Framework, Principle, Question, RedFlagRule


class PrincipleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Principle
        fields = ["slug", "name", "order", "summary", "description", "optional"]


class RedFlagRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = RedFlagRule
        fields = ["code", "severity", "when", "message"]


class QuestionSerializer(serializers.ModelSerializer):
    answer = serializers.CharField(source="answer_type")
    red_flags = RedFlagRuleSerializer(many=True)

    class Meta:
        model = Question
        fields = [
            "code",
            "text",
            "guidance",
            "answer",
            "choices",
            "required",
            "weight",
            "show_if",
            "red_flags",
        ]


class CriterionSerializer(serializers.ModelSerializer):
    principle = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    questions = QuestionSerializer(many=True)

    class Meta:
        model = Criterion
        fields = [
            "code",
            "title",
            "principle",
            "weight",
            "explanation",
            "requirements",
            "recommendations",
            "questions",
        ]


class FrameworkSummarySerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    criterion_count = serializers.IntegerField(read_only=True)
    question_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Framework
        fields = [
            "slug",
            "name",
            "version",
            "kind",
            "description",
            "owner",
            "criterion_count",
            "question_count",
            "created_at",
        ]


class FrameworkDetailSerializer(FrameworkSummarySerializer):
    criteria = serializers.SerializerMethodField()

    class Meta(FrameworkSummarySerializer.Meta):
        fields = [*FrameworkSummarySerializer.Meta.fields, "levels", "content_hash", "criteria"]

    def get_criteria(self, framework) -> list[dict]:
        return CriterionSerializer(self.context["criteria"], many=True).data
