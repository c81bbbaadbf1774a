FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
COPY . .
# collectstatic with DEBUG off writes the hashed names and manifest the app serves in production.
RUN pip install --no-cache-dir -e ".[s3]" \
    && SECRET_KEY=collectstatic-build-only DEBUG=0 python manage.py collectstatic --noinput
ENV DEBUG=0
EXPOSE 8000
