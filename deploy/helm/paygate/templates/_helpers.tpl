{{/* Names: <release>-paygate (or fullnameOverride), one suffix per component. */}}
{{- define "paygate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels every object carries; pass (dict "root" $ "component" "edge"). */}}
{{- define "paygate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{ include "paygate.selector" . }}
{{- end -}}

{{/* The labels a component's pods are selected by (Services, PDBs, NetworkPolicies, anti-affinity). */}}
{{- define "paygate.selector" -}}
app.kubernetes.io/name: paygate
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Prefer one pod of a component per node, or require it (values: <component>.antiAffinity). */}}
{{- define "paygate.antiAffinity" -}}
podAntiAffinity:
{{- if eq .mode "required" }}
  requiredDuringSchedulingIgnoredDuringExecution:
  - topologyKey: kubernetes.io/hostname
    labelSelector:
      matchLabels:
        {{- include "paygate.selector" . | nindent 8 }}
{{- else }}
  preferredDuringSchedulingIgnoredDuringExecution:
  - weight: 100
    podAffinityTerm:
      topologyKey: kubernetes.io/hostname
      labelSelector:
        matchLabels:
          {{- include "paygate.selector" . | nindent 10 }}
{{- end }}
{{- end -}}

{{/* The headless Service whose DNS lists every ready service replica; the edge's cluster resolves it. */}}
{{- define "paygate.serviceHeadless" -}}
{{ include "paygate.fullname" . }}-service-headless
{{- end -}}

{{/* Pod security shared by every container: no root, no privilege escalation, no capabilities. */}}
{{- define "paygate.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The service cluster's circuit-breaker bound on each edge (max_requests; envoy.yaml's runtime key,
     ClusterEdge): the most replicas the values allow (autoscaling.maxReplicas, else replicas) x what
     one admits, its workers and queue (files/admission.yaml, from the service's application.yml;
     service.env may set their variables). The most, not the current: deploy/README.md, "Circuit breaker". */}}
{{- define "paygate.serviceMaxRequests" -}}
{{- $admission := .Files.Get "files/admission.yaml" | required "files/admission.yaml is missing: install the chart the build packages (deploy/target/helm/paygate)" | fromYaml -}}
{{- $service := .Values.service -}}
{{- $replicas := ternary $service.autoscaling.maxReplicas $service.replicas $service.autoscaling.enabled -}}
{{- $perReplica := 0 -}}
{{- range $setting := list $admission.workers $admission.queueCapacity -}}
{{- $perReplica = add $perReplica (get $service.env $setting.variable | default $setting.default) -}}
{{- end -}}
{{- mul $replicas $perReplica -}}
{{- end -}}
