{{/* Names */}}
{{- define "rollouts-cv.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "rollouts-cv.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "rollouts-cv.engine.fullname" -}}
{{- printf "%s-engine" (include "rollouts-cv.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "rollouts-cv.engine.serviceAccountName" -}}
{{- if .Values.engine.serviceAccount.create }}
{{- default (include "rollouts-cv.engine.fullname" .) .Values.engine.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.engine.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The bot's configuration file: bot.config, and with bot.reportImages the engine's report pages it fetches images
from (reports.engineUrl). A copy: bot.config itself stays as given for the other templates. */}}
{{- define "rollouts-cv.bot.config" -}}
{{- $config := deepCopy .Values.bot.config }}
{{- if .Values.bot.reportImages.enabled }}
{{- $_ := set $config "reports" (dict "engineUrl" (include "rollouts-cv.engine.reports.serviceUrl" .)) }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{- define "rollouts-cv.bot.fullname" -}}
{{- printf "%s-bot" (include "rollouts-cv.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "rollouts-cv.bot.serviceAccountName" -}}
{{- if .Values.bot.serviceAccount.create }}
{{- default (include "rollouts-cv.bot.fullname" .) .Values.bot.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.bot.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Labels */}}
{{- define "rollouts-cv.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "rollouts-cv.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: rollouts-cv
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "rollouts-cv.engine.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rollouts-cv.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: engine
{{- end }}

{{- define "rollouts-cv.engine.labels" -}}
{{ include "rollouts-cv.labels" . }}
app.kubernetes.io/component: engine
{{- end }}

{{- define "rollouts-cv.bot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rollouts-cv.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: bot
{{- end }}

{{- define "rollouts-cv.bot.labels" -}}
{{ include "rollouts-cv.labels" . }}
app.kubernetes.io/component: bot
{{- end }}

{{/* Images: repository@digest, or repository:tag (tag defaulting to the chart's appVersion). */}}
{{- define "rollouts-cv.image" -}}
{{- $image := index . 0 }}{{- $ctx := index . 1 }}
{{- if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository (default $ctx.Chart.AppVersion $image.tag) }}
{{- end }}
{{- end }}

{{/* The bot runs the engine's image (same entrypoint) unless bot.image names another repository, tag or digest. */}}
{{- define "rollouts-cv.bot.image" -}}
{{- $b := .Values.bot.image }}{{- $e := .Values.engine.image }}
{{- if $b.repository }}
{{- include "rollouts-cv.image" (list $b .) }}
{{- else if or $b.tag $b.digest }}
{{- include "rollouts-cv.image" (list (dict "repository" $e.repository "tag" $b.tag "digest" $b.digest) .) }}
{{- else }}
{{- include "rollouts-cv.image" (list $e .) }}
{{- end }}
{{- end }}

{{/* Engine: folders in its pod, grace period, address. */}}
{{- define "rollouts-cv.engine.tlsDir" -}}/etc/rollouts-cv/tls{{- end }}
{{- define "rollouts-cv.engine.credentialsDir" -}}/etc/rollouts-cv/credentials{{- end }}
{{- define "rollouts-cv.engine.authDir" -}}/etc/rollouts-cv/auth{{- end }}

{{/* The Secret holding the token the bridge authenticates with (engine.auth). */}}
{{- define "rollouts-cv.engine.authSecretName" -}}
{{- default (printf "%s-auth" (include "rollouts-cv.engine.fullname" .)) .Values.engine.auth.existingSecret }}
{{- end }}

{{- define "rollouts-cv.engine.terminationGracePeriodSeconds" -}}
{{- add (int .Values.engine.preStopSleepSeconds) (int .Values.engine.shutdownGraceSeconds) (int .Values.engine.terminationGraceExtraSeconds) }}
{{- end }}

{{- define "rollouts-cv.engine.host" -}}
{{- printf "%s.%s.svc" (include "rollouts-cv.engine.fullname" .) .Release.Namespace }}
{{- end }}

{{- define "rollouts-cv.engine.address" -}}
{{- printf "%s:%d" (include "rollouts-cv.engine.host" .) (int .Values.engine.port) }}
{{- end }}

{{/* Whether the engine calls the Kubernetes API (approval gates, log marks, report pages): its token and role. */}}
{{- define "rollouts-cv.engine.kubernetesAccess" -}}
{{- or .Values.engine.rbac.approvalRequests .Values.engine.reports.enabled }}
{{- end }}

{{/* Whether other pods reach the report pages (engine.reports): the ingress controller behind the chart's Ingress,
or the bot fetching their images (bot.reportImages). Then they listen on every interface, the Service has port
`reports` and the NetworkPolicy admits exactly those pods to it. "true" or empty. */}}
{{- define "rollouts-cv.engine.reports.inCluster" -}}
{{- if or .Values.engine.reports.ingress.enabled .Values.bot.reportImages.enabled }}true{{ end }}
{{- end }}

{{/* Report pages: where they listen. On every interface when other pods reach them; otherwise on listenAddress,
loopback by default, which only `kubectl port-forward` reaches. */}}
{{- define "rollouts-cv.engine.reports.listen" -}}
{{- $r := .Values.engine.reports }}
{{- printf "%s:%d" (ternary "0.0.0.0" $r.listenAddress (eq (include "rollouts-cv.engine.reports.inCluster" .) "true")) (int $r.port) }}
{{- end }}

{{/* The report pages as pods in the cluster reach them: the Service's reports port, under the base path. */}}
{{- define "rollouts-cv.engine.reports.serviceUrl" -}}
{{- printf "http://%s:%d%s" (include "rollouts-cv.engine.host" .) (int .Values.engine.reports.port) (trimSuffix "/" .Values.engine.reports.basePath) }}
{{- end }}

{{/* The Ingress path: the base path the engine serves under, or the root. */}}
{{- define "rollouts-cv.engine.reports.path" -}}
{{- default "/" (trimSuffix "/" .Values.engine.reports.basePath) }}
{{- end }}

{{/* The Ingress host: reports.ingress.host, or publicUrl's host without its port. */}}
{{- define "rollouts-cv.engine.reports.host" -}}
{{- $r := .Values.engine.reports }}
{{- default (regexReplaceAll ":[0-9]+$" (urlParse $r.publicUrl).host "") $r.ingress.host }}
{{- end }}

{{- define "rollouts-cv.engine.reports.validate" -}}
{{- $r := .Values.engine.reports }}
{{- if $r.enabled }}
{{- range $name, $port := dict "engine.port" .Values.engine.port "engine.metrics.port" (ternary .Values.engine.metrics.port 0 .Values.engine.metrics.enabled) }}
{{- if eq (int $port) (int $r.port) }}
{{- fail (printf "engine.reports.port %d is also %s: the report pages need a port of their own" (int $r.port) $name) }}
{{- end }}
{{- end }}
{{- if and $r.basePath $r.publicUrl (not (hasSuffix (trimSuffix "/" $r.basePath) (trimSuffix "/" $r.publicUrl))) }}
{{- fail (printf "engine.reports.publicUrl %q must end with engine.reports.basePath %q: the links in Measurements are publicUrl/reports/..., and the engine answers only under basePath" $r.publicUrl $r.basePath) }}
{{- end }}
{{- end }}
{{- if $r.ingress.enabled }}
{{- if not $r.enabled }}
{{- fail "engine.reports.ingress.enabled needs engine.reports.enabled: the Ingress routes to the report pages" }}
{{- end }}
{{- if not $r.publicUrl }}
{{- fail "engine.reports.ingress.enabled needs engine.reports.publicUrl: the address people open through the Ingress (e.g. https://rollouts-cv.example.com), which the engine puts in each Measurement's link" }}
{{- end }}
{{- if and (not $r.ingress.annotations) (not $r.ingress.allowUnauthenticated) }}
{{- fail "engine.reports.ingress has no annotations: the report pages have no authentication of their own, so add your ingress controller's auth annotations to engine.reports.ingress.annotations (e.g. oauth2-proxy's nginx.ingress.kubernetes.io/auth-url and auth-signin), or set engine.reports.ingress.allowUnauthenticated=true if something else in front authenticates" }}
{{- end }}
{{- if and .Values.networkPolicy.enabled (not .Values.networkPolicy.ingress.reportsFrom) }}
{{- fail "engine.reports.ingress.enabled needs networkPolicy.ingress.reportsFrom: your ingress controller's pods (e.g. [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]), the only peers admitted to the reports port, so nothing reaches the unauthenticated pages around the Ingress" }}
{{- end }}
{{- end }}
{{- if .Values.bot.reportImages.enabled }}
{{- if not .Values.bot.enabled }}
{{- fail "bot.reportImages.enabled needs bot.enabled: the bot is what fetches the report images and posts them in Slack" }}
{{- end }}
{{- if not $r.enabled }}
{{- fail "bot.reportImages.enabled needs engine.reports.enabled: the images are the report pages' charts, which the engine serves only with them" }}
{{- end }}
{{- if hasKey .Values.bot.config "reports" }}
{{- fail "bot.reportImages.enabled writes reports.engineUrl into the bot's configuration itself: leave bot.config.reports out" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "rollouts-cv.validate" -}}
{{- if and .Values.engine.metrics.enabled (eq (int .Values.engine.metrics.port) (int .Values.engine.port)) }}
{{- fail (printf "engine.metrics.port %d is also engine.port: the metrics need a port of their own" (int .Values.engine.metrics.port)) }}
{{- end }}
{{- if and .Values.engine.metrics.serviceMonitor.enabled (not .Values.engine.metrics.enabled) }}
{{- fail "engine.metrics.serviceMonitor.enabled needs engine.metrics.enabled: the ServiceMonitor scrapes the engine's metrics port" }}
{{- end }}
{{- if and .Values.engine.tls.enabled (not .Values.engine.tls.secretName) }}
{{- fail "engine.tls.enabled needs engine.tls.secretName: an existing Secret with tls.crt and tls.key" }}
{{- end }}
{{- if eq .Values.argoRollouts.bridge.source "https" }}
{{- if not .Values.argoRollouts.bridge.https.url }}
{{- fail "argoRollouts.bridge.source https needs argoRollouts.bridge.https.url" }}
{{- end }}
{{- if not .Values.argoRollouts.bridge.https.sha256 }}
{{- fail "argoRollouts.bridge.source https needs argoRollouts.bridge.https.sha256 (the Argo Rollouts controller refuses an https plugin without it)" }}
{{- end }}
{{- end }}
{{- if and .Values.examples.credentials (not (has .Values.examples.credentials .Values.engine.credentials.secrets)) }}
{{- fail (printf "examples.credentials %q is not one of engine.credentials.secrets" .Values.examples.credentials) }}
{{- end }}
{{- if .Values.bot.enabled }}
{{- $b := .Values.bot }}
{{- if not $b.slack.existingSecret }}
{{- $second := ternary (printf "%s=xapp-..." $b.slack.appTokenKey) (printf "%s=..." $b.slack.signingSecretKey) (eq $b.mode "socket") }}
{{- fail (printf "bot.enabled needs bot.slack.existingSecret: an existing Secret in namespace %s with the Slack credentials, which the chart never creates from values. Create it first, e.g. kubectl -n %s create secret generic rollouts-cv-slack --from-literal=%s=xoxb-... --from-literal=%s, then set bot.slack.existingSecret=rollouts-cv-slack" .Release.Namespace .Release.Namespace $b.slack.botTokenKey $second) }}
{{- end }}
{{- if and $b.ingress.enabled (ne $b.mode "http") }}
{{- fail "bot.ingress.enabled needs bot.mode http: in socket mode the bot connects to Slack and nothing calls it" }}
{{- end }}
{{- if and $b.rbac.impersonate (not (include "rollouts-cv.bot.impersonatedUsers" .)) }}
{{- fail "bot.rbac.impersonate needs bot.config.impersonation.users: the bot may impersonate only the identities its configuration maps Slack users to" }}
{{- end }}
{{- if and $b.metrics.enabled (eq (int $b.metrics.port) (int $b.port)) }}
{{- fail (printf "bot.metrics.port %d is also bot.port: the metrics need a port of their own" (int $b.metrics.port)) }}
{{- end }}
{{- if and $b.metrics.serviceMonitor.enabled (not $b.metrics.enabled) }}
{{- fail "bot.metrics.serviceMonitor.enabled needs bot.metrics.enabled: the ServiceMonitor scrapes the bot's metrics port" }}
{{- end }}
{{- end }}
{{- include "rollouts-cv.engine.reports.validate" . }}
{{- if and .Values.prometheusRule.enabled (not .Values.engine.metrics.enabled) }}
{{- fail "prometheusRule.enabled needs engine.metrics.enabled: the alerts read the engine's metrics" }}
{{- end }}
{{- end }}

{{/*
RBAC rules, least privilege per component. Each list is exactly what the component's code calls.
*/}}
{{- define "rollouts-cv.engine.approvalRules" -}}
# Approval gates: create the request, read it back, record the outcome they applied.
- apiGroups: [rollouts-cv.io]
  resources: [approvalrequests]
  verbs: [get, list, create]
- apiGroups: [rollouts-cv.io]
  resources: [approvalrequests/status]
  verbs: [get, update, patch]
# The log judge: people's marks on a Rollout's log templates, read when its logs are judged.
- apiGroups: [rollouts-cv.io]
  resources: [logtemplatefeedbacks]
  verbs: [get, list]
{{- end }}

{{/* Everything the engine's role grants: the approval rules with engine.rbac.approvalRequests, and with
engine.reports.enabled the AnalysisRun or Rollout each report page names. */}}
{{- define "rollouts-cv.engine.rules" -}}
{{- $rules := list }}
{{- if .Values.engine.rbac.approvalRequests }}{{ $rules = append $rules (include "rollouts-cv.engine.approvalRules" .) }}{{ end }}
{{- if .Values.engine.reports.enabled }}{{ $rules = append $rules (include "rollouts-cv.engine.reportRules" .) }}{{ end }}
{{- join "\n" $rules }}
{{- end }}

{{- define "rollouts-cv.engine.reportRules" -}}
# Report pages: the AnalysisRun (a metric verification) or Rollout (a verify gate's) a page names, read when it is opened.
- apiGroups: [argoproj.io]
  resources: [analysisruns, rollouts]
  verbs: [get]
{{- end }}

{{- define "rollouts-cv.bot.rules" -}}
# What the bot does as itself in every mode: reads (also through watches); patches of a Rollout for its thread
# annotation and for the intervention timeouts it carries out (promote, abort); approval requests and interventions;
# PipelineRuns started from Slack (always as the bot: only it may name a Slack user as a run's trigger), patches of a
# PipelineRun for its thread annotation and a cancel (get: read again after a conflict), and the Pipeline a run is
# checked against; people's marks on log templates (read, then created or replaced); the audit Event on each object
# acted on.
- apiGroups: [argoproj.io]
  resources: [rollouts]
  verbs: [get, list, watch, patch]
- apiGroups: [argoproj.io]
  resources: [rollouts/status]
  verbs: [patch]
- apiGroups: [argoproj.io]
  resources: [analysisruns]
  verbs: [get, list, watch]
- apiGroups: [apps]
  resources: [replicasets]
  verbs: [get, list, watch]
- apiGroups: [rollouts-cv.io]
  resources: [approvalrequests]
  verbs: [get, list, watch, create]
- apiGroups: [rollouts-cv.io]
  resources: [approvalrequests/status]
  verbs: [update]
- apiGroups: [rollouts-cv.io]
  resources: [pipelineruns]
  verbs: [get, list, watch, patch, create]
- apiGroups: [rollouts-cv.io]
  resources: [pipelines]
  verbs: [get]
- apiGroups: [rollouts-cv.io]
  resources: [logtemplatefeedbacks]
  verbs: [get, create, update]
- apiGroups: [""]
  resources: [events]
  verbs: [create, get]
{{- end }}

{{- define "rollouts-cv.bot.actionRules" -}}
# People's commands sent as the bot (no impersonation): set image's PUT of the Rollout or of its workloadRef
# Deployment, undo of a workloadRef. The other commands are Rollout patches, granted above.
- apiGroups: [argoproj.io]
  resources: [rollouts]
  verbs: [update]
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, update, patch]
- apiGroups: [apps]
  resources: [replicasets]
  verbs: [patch]
{{- end }}

{{/* Kubernetes user names of bot.config.impersonation.users, sorted, as a JSON list ("" when none). */}}
{{- define "rollouts-cv.bot.impersonatedUsers" -}}
{{- $users := list }}
{{- with .Values.bot.config.impersonation }}{{- range $slackUser, $user := .users }}{{- $users = append $users $user }}{{- end }}{{- end }}
{{- if $users }}{{- $users | uniq | sortAlpha | toJson }}{{- end }}
{{- end }}

{{- define "rollouts-cv.bot.impersonateRules" -}}
# Rollout actions run as the Slack user's mapped identity (bot.config.impersonation): only those may be impersonated.
- apiGroups: [""]
  resources: [users]
  verbs: [impersonate]
  resourceNames: {{ include "rollouts-cv.bot.impersonatedUsers" . }}
{{- with .Values.bot.config.impersonation.groups }}
- apiGroups: [""]
  resources: [groups]
  verbs: [impersonate]
  resourceNames: {{ . | uniq | sortAlpha | toJson }}
{{- end }}
{{- end }}

{{/* Where the bot serves Slack's requests in http mode (bot/app.ts). */}}
{{- define "rollouts-cv.bot.slackPath" -}}/slack/events{{- end }}

{{- define "rollouts-cv.bot.configDir" -}}/etc/rollouts-cv/bot{{- end }}

{{- define "rollouts-cv.bot.leaseName" -}}
{{- include "rollouts-cv.bot.fullname" . }}
{{- end }}

{{- define "rollouts-cv.bot.leaseRules" -}}
# Leader election: one replica runs the background work. create cannot be limited to a name.
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [create]
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  resourceNames: [{{ include "rollouts-cv.bot.leaseName" . }}]
  verbs: [get, update]
{{- end }}

{{/*
Argo Rollouts side. The bridge's arguments, the plugin entries of argo-rollouts-config, and what the controller's
pod needs (init container, volumes, mounts) — shared by the managed ConfigMap and the values NOTES.txt prints
for the argo-rollouts chart.
*/}}
{{- define "rollouts-cv.bridge.file" -}}
{{- printf "%s/rollouts-cv-bridge" (trimSuffix "/" .Values.argoRollouts.bridge.directory) }}
{{- end }}

{{- define "rollouts-cv.bridge.args" -}}
{{- $b := .Values.argoRollouts.bridge }}
{{- $args := list (printf "--engine-address=%s" (include "rollouts-cv.engine.address" .)) (printf "--call-timeout=%s" $b.callTimeout) }}
{{- if .Values.engine.tls.enabled }}
{{- $dir := trimSuffix "/" $b.tls.mountPath }}
{{- $args = append $args (printf "--tls-ca=%s/ca.crt" $dir) }}
{{- $args = append $args (printf "--tls-server-name=%s" (default (include "rollouts-cv.engine.host" .) $b.tls.serverName)) }}
{{- if .Values.engine.tls.requireClientCert }}
{{- $args = append $args (printf "--tls-cert=%s/tls.crt" $dir) }}
{{- $args = append $args (printf "--tls-key=%s/tls.key" $dir) }}
{{- end }}
{{- end }}
{{- if .Values.engine.auth.enabled }}
{{- $args = append $args (printf "--engine-token-file=%s/token" (trimSuffix "/" $b.auth.mountPath)) }}
{{- end }}
{{- range $b.extraArgs }}{{- $args = append $args . }}{{- end }}
{{- toJson $args }}
{{- end }}

{{- define "rollouts-cv.bridge.entry" -}}
{{- $ctx := index . 0 }}{{- $name := index . 1 }}
{{- $b := $ctx.Values.argoRollouts.bridge }}
- name: {{ $name }}
{{- if eq $b.source "https" }}
  location: {{ $b.https.url | quote }}
  sha256: {{ $b.https.sha256 | quote }}
{{- else }}
  location: {{ printf "file://%s" (include "rollouts-cv.bridge.file" $ctx) | quote }}
{{- end }}
  args: {{ include "rollouts-cv.bridge.args" $ctx }}
{{- end }}

{{- define "rollouts-cv.metricProviderPlugins" -}}
{{ include "rollouts-cv.bridge.entry" (list . .Values.argoRollouts.metricPluginName) | trim }}
{{- end }}

{{- define "rollouts-cv.stepPlugins" -}}
{{ include "rollouts-cv.bridge.entry" (list . .Values.argoRollouts.stepPluginName) | trim }}
{{- end }}

{{/* Values for the argo-rollouts chart (controller.*), printed by NOTES.txt; the plugin lists only when this
chart does not manage argo-rollouts-config itself. */}}
{{- define "rollouts-cv.argoRolloutsValuesNeeded" -}}
{{- if or (not .Values.argoRollouts.config.create) (eq .Values.argoRollouts.bridge.source "file") .Values.engine.tls.enabled .Values.engine.auth.enabled }}true{{ end }}
{{- end }}

{{- define "rollouts-cv.argoRolloutsValues" -}}
{{- $b := .Values.argoRollouts.bridge -}}
controller:
{{- if not .Values.argoRollouts.config.create }}
  metricProviderPlugins:
{{- include "rollouts-cv.metricProviderPlugins" . | nindent 4 }}
  stepPlugins:
{{- include "rollouts-cv.stepPlugins" . | nindent 4 }}
{{- end }}
{{- if eq $b.source "file" }}
  initContainers:
    - name: rollouts-cv-bridge
      image: {{ include "rollouts-cv.image" (list $b.image .) }}
      imagePullPolicy: {{ $b.image.pullPolicy }}
      command: ["cp", "/rollouts-cv-bridge", {{ include "rollouts-cv.bridge.file" . | quote }}]
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
      resources:
        requests: {cpu: 10m, memory: 16Mi}
        limits: {memory: 64Mi}
      volumeMounts:
        - name: rollouts-cv-bridge
          mountPath: {{ $b.directory }}
{{- end }}
{{- if or (eq $b.source "file") .Values.engine.tls.enabled .Values.engine.auth.enabled }}
  volumes:
{{- if eq $b.source "file" }}
    - name: rollouts-cv-bridge
      emptyDir: {}
{{- end }}
{{- if .Values.engine.auth.enabled }}
    - name: rollouts-cv-engine-token
      secret:
        secretName: {{ $b.auth.secretName }}
{{- end }}
{{- if .Values.engine.tls.enabled }}
    - name: rollouts-cv-tls
      secret:
        secretName: {{ $b.tls.secretName }}
{{- end }}
  volumeMounts:
{{- if eq $b.source "file" }}
    - name: rollouts-cv-bridge
      mountPath: {{ $b.directory }}
      readOnly: true
{{- end }}
{{- if .Values.engine.auth.enabled }}
    - name: rollouts-cv-engine-token
      mountPath: {{ $b.auth.mountPath }}
      readOnly: true
{{- end }}
{{- if .Values.engine.tls.enabled }}
    - name: rollouts-cv-tls
      mountPath: {{ $b.tls.mountPath }}
      readOnly: true
{{- end }}
{{- end }}
{{- end }}

{{/* Pipelines controller (pipelines.enabled): names, labels, what it may do. */}}
{{- define "rollouts-cv.pipelines.fullname" -}}
{{- printf "%s-pipelines" (include "rollouts-cv.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "rollouts-cv.pipelines.serviceAccountName" -}}
{{- if .Values.pipelines.serviceAccount.create }}
{{- default (include "rollouts-cv.pipelines.fullname" .) .Values.pipelines.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.pipelines.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "rollouts-cv.pipelines.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rollouts-cv.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: pipelines
{{- end }}

{{- define "rollouts-cv.pipelines.labels" -}}
{{ include "rollouts-cv.labels" . }}
app.kubernetes.io/component: pipelines
{{- end }}

{{/* Everything its steps read and write, cluster-wide: a Pipeline may name Rollouts and Applications anywhere. */}}
{{- define "rollouts-cv.pipelines.rules" -}}
- apiGroups: [rollouts-cv.io]
  resources: [pipelines, pipelineruns]
  verbs: [get, list, watch]
- apiGroups: [rollouts-cv.io]
  resources: [pipelineruns/status]
  verbs: [update]
# rollout steps: the actions of kubectl argo rollouts (promote and abort write the status; undo reads ReplicaSets)
- apiGroups: [argoproj.io]
  resources: [rollouts]
  verbs: [get, patch]
- apiGroups: [argoproj.io]
  resources: [rollouts/status]
  verbs: [patch]
- apiGroups: [apps]
  resources: [replicasets]
  verbs: [list]
# verify steps: an AnalysisRun from a template
- apiGroups: [argoproj.io]
  resources: [analysistemplates, clusteranalysistemplates]
  verbs: [get]
- apiGroups: [argoproj.io]
  resources: [analysisruns]
  verbs: [get, create]
# sync steps: the operation of an Argo CD Application
- apiGroups: [argoproj.io]
  resources: [applications]
  verbs: [get, patch]
# whether a namespace lets runs of another act in it (its rollouts-cv.io/pipeline-namespaces annotation)
- apiGroups: [""]
  resources: [namespaces]
  verbs: [get]
# approval steps and manual interventions: the run's ApprovalRequests (the timeout that stops, the withdrawal at its end)
- apiGroups: [rollouts-cv.io]
  resources: [approvalrequests]
  verbs: [get, list, create]
- apiGroups: [rollouts-cv.io]
  resources: [approvalrequests/status]
  verbs: [update]
{{- end }}

{{- define "rollouts-cv.pipelines.leaseName" -}}
{{- include "rollouts-cv.pipelines.fullname" . }}
{{- end }}
