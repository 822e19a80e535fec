# One image for the user code server, the webserver and the daemon.
#   docker build -t helio-kb .                                             # compose deployment
#   docker build --build-arg EXTRAS=k8s -t registry.example.com/helio-kb:0.1.0 .    # Kubernetes
#   EXTRAS=celery, INSTANCE=deploy/celery/dagster.yaml: the Celery setup (deploy/celery/)
FROM python:3.11-slim
ARG EXTRAS=
ARG INSTANCE=dagster_home/dagster.postgres.yaml
WORKDIR /opt/dagster/app
COPY pyproject.toml README.md ./
COPY helio_pipeline ./helio_pipeline
COPY deploy ./deploy
RUN pip install --no-cache-dir -e ".${EXTRAS:+[$EXTRAS]}"
COPY ${INSTANCE} /opt/dagster/dagster_home/dagster.yaml
ENV DAGSTER_HOME=/opt/dagster/dagster_home
