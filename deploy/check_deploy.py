#!/usr/bin/env python3
"""Static checks of the deployment files, run by deploy/test.sh.

- every YAML file under deploy/ loads, and each Kubernetes object has the
  fields it needs (probes on the API, Secret references, resource requests);
- the Dockerfile's stages are named, COPY --from names an earlier stage, and
  every path copied from the build context exists in the repository;
- compose.yaml's services use the Dockerfile and depend on each other sanely.
Prints one line per problem and exits 1 if there is any.
"""
import pathlib
import sys

import yaml

root = pathlib.Path(__file__).resolve().parent.parent
problems = []


def problem(message):
    problems.append(message)


def check_yaml():
    documents = {}
    for path in sorted((root / "deploy").rglob("*.yaml")):
        try:
            documents[path] = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        except yaml.YAMLError as error:
            problem(f"{path.relative_to(root)}: does not parse: {error}")
    return documents


def containers(document):
    spec = document.get("spec", {})
    template = spec.get("template", spec.get("jobTemplate", {}).get("spec", {}).get("template", {}))
    return template.get("spec", {}).get("containers", [])


def check_kubernetes(documents):
    kinds = set()
    for path, docs in documents.items():
        if "kubernetes" not in path.parts:
            continue
        for document in docs:
            kind = document.get("kind")
            name = document.get("metadata", {}).get("name")
            kinds.add(kind)
            where = f"{path.relative_to(root)}: {kind}/{name}"
            if not document.get("apiVersion") or not kind or not name:
                problem(f"{where}: needs apiVersion, kind and metadata.name")
            if kind in ("Deployment", "Job"):
                for container in containers(document):
                    if not container.get("resources", {}).get("requests"):
                        problem(f"{where}: container {container.get('name')} has no resource requests")
                    refs = [e.get("secretRef", {}).get("name") for e in container.get("envFrom", [])]
                    if "herald" not in refs:
                        problem(f"{where}: container {container.get('name')} does not take the herald Secret")
            if kind == "Deployment" and document["metadata"]["name"] == "herald-api":
                container = containers(document)[0]
                if container.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
                    problem(f"{where}: readiness probe must call /readyz")
                if container.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
                    problem(f"{where}: liveness probe must call /healthz")
    for needed in ("Job", "Deployment", "Service", "PodDisruptionBudget", "Secret"):
        if needed not in kinds:
            problem(f"deploy/kubernetes: no {needed}")


def check_dockerfile(path):
    stages = []
    # Join continued lines, remembering where each instruction starts.
    instructions, current, start = [], "", 0
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if not current:
            start = number
        current += " " + line.rstrip("\\")
        if not line.endswith("\\"):
            instructions.append((start, current.strip()))
            current = ""
    for number, line in instructions:
        words = line.split()
        instruction = words[0].upper()
        if instruction == "FROM":
            if len(words) < 4 or words[2].upper() != "AS":
                problem(f"{path.relative_to(root)}:{number}: name every stage (FROM image AS name)")
            else:
                stages.append(words[3])
        elif instruction == "COPY":
            args = [w for w in words[1:] if not w.startswith("--chown")]
            source_stage = None
            if args and args[0].startswith("--from="):
                source_stage = args[0].split("=", 1)[1]
                args = args[1:]
                if source_stage not in stages[:-1]:
                    problem(f"{path.relative_to(root)}:{number}: COPY --from={source_stage} names no earlier stage")
            elif not stages:
                problem(f"{path.relative_to(root)}:{number}: COPY before FROM")
            if source_stage is None:
                for source in args[:-1]:
                    if not (root / source).exists():
                        problem(f"{path.relative_to(root)}:{number}: {source} does not exist in the repository")
    if not stages:
        problem(f"{path.relative_to(root)}: no stages")
    if "USER" not in path.read_text():
        problem(f"{path.relative_to(root)}: the run stage must not run as root (USER)")
    if "HEALTHCHECK" not in path.read_text():
        problem(f"{path.relative_to(root)}: no HEALTHCHECK")


def check_compose(documents):
    for path, docs in documents.items():
        if path.name != "compose.yaml":
            continue
        services = docs[0].get("services", {})
        for needed in ("postgres", "migrate", "api", "worker", "mailpit"):
            if needed not in services:
                problem(f"{path.relative_to(root)}: no {needed} service")
        build = docs[0].get("x-herald", {}).get("build", {})
        dockerfile = (path.parent / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).resolve()
        if not dockerfile.exists():
            problem(f"{path.relative_to(root)}: build dockerfile {dockerfile} does not exist")
        for name, service in services.items():
            for dependency in (service.get("depends_on") or {}):
                if dependency not in services:
                    problem(f"{path.relative_to(root)}: {name} depends on unknown service {dependency}")


documents = check_yaml()
check_kubernetes(documents)
check_dockerfile(root / "deploy" / "docker" / "Dockerfile")
check_compose(documents)
for message in problems:
    print(message)
print(f"deployment files: {len(documents)} YAML files, {len(problems)} problems")
sys.exit(1 if problems else 0)
