{{/* Names and labels, as `helm create` makes them, plus the checks UMCA would make at start. */}}

{{- define "umca.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "umca.fullname" -}}
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

{{- define "umca.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "umca.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: umca
{{- end }}

{{/* Selector labels of one component: pass (dict "root" $ "component" "orchestrator"). */}}
{{- define "umca.selectorLabels" -}}
app.kubernetes.io/name: {{ include "umca.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "umca.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "umca.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "umca.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The Secret whose keys are environment variables (UMCA_STORE, model keys). */}}
{{- define "umca.envSecretName" -}}
{{- default (printf "%s-env" (include "umca.fullname" .)) .Values.secrets.existingSecret }}
{{- end }}

{{- define "umca.authSecretName" -}}
{{- default (printf "%s-auth" (include "umca.fullname" .)) .Values.localTokens.existingSecret }}
{{- end }}

{{/* The port of an http(s) URL: its own, else the scheme's. */}}
{{- define "umca.urlPort" -}}
{{- $url := urlParse . }}
{{- $hostPort := splitList ":" $url.host }}
{{- if gt (len $hostPort) 1 }}{{ last $hostPort }}{{ else if eq $url.scheme "https" }}443{{ else }}80{{ end }}
{{- end }}

{{/*
What `umca serve` and `umca worker` would refuse at start, refused here first with the value to
set (docs/scale-out.md, docs/auth.md). Called once, from the orchestrator's Deployment.
*/}}
{{- define "umca.validate" -}}
{{- $v := .Values }}
{{- $bus := required "rocketmq.endpoint is required: the RocketMQ 5 proxy's gRPC address as host:port (e.g. rocketmq-proxy.rocketmq:8081), which UMCA uses as its bus and work queue (UMCA_BUS)" $v.rocketmq.endpoint }}
{{- if not (regexMatch "^[A-Za-z0-9.-]+:[0-9]+$" $bus) }}
{{- fail (printf "rocketmq.endpoint %q: write it as host:port, e.g. rocketmq-proxy.rocketmq:8081" $bus) }}
{{- end }}
{{- if and $v.secrets.existingSecret (or $v.postgres.url $v.secrets.env) }}
{{- fail "secrets.existingSecret is set, so put UMCA_STORE and the model keys in that Secret and leave postgres.url and secrets.env empty" }}
{{- end }}
{{- if not (or $v.postgres.url $v.secrets.existingSecret) }}
{{- fail "postgres.url is required: the store's URL, postgres://USER:PASSWORD@HOST:5432/DB (UMCA_STORE); or name a Secret holding UMCA_STORE in secrets.existingSecret" }}
{{- end }}
{{- if and $v.postgres.url (not (hasPrefix "postgres://" $v.postgres.url)) (not (hasPrefix "postgresql://" $v.postgres.url)) }}
{{- fail "postgres.url must start with postgres:// (postgres://USER:PASSWORD@HOST:5432/DB): scaled out, UMCA's store is PostgreSQL" }}
{{- end }}
{{- if not (or $v.keycloak.issuer $v.localTokens.enabled $v.orchestrator.unsafeNoAuth) }}
{{- fail "the orchestrator listens on 0.0.0.0, where UMCA refuses to start without authentication: set keycloak.issuer (OpenID Connect), or localTokens.enabled with its signing keys, or orchestrator.unsafeNoAuth=true behind a proxy that authenticates" }}
{{- end }}
{{- if and $v.localTokens.enabled (not (or $v.localTokens.existingSecret $v.localTokens.signingKeys)) }}
{{- fail "localTokens.enabled needs its signing keys: localTokens.existingSecret (a Secret with signing-keys.json) or localTokens.signingKeys (the file `umca token create` wrote to <data-dir>/auth/signing-keys.json)" }}
{{- end }}
{{- if and $v.spinApp.enabled (not $v.spinApp.image) }}
{{- fail "spinApp.enabled needs spinApp.image: the OCI reference `spin registry push` gave spin/code-runner-wasm (docs/spin.md)" }}
{{- end }}
{{- if $v.networkPolicy.enabled }}
{{- if not $v.postgres.networkPeers }}
{{- fail "networkPolicy.enabled denies all egress but what is listed: set postgres.networkPeers to where PostgreSQL runs (e.g. [{ipBlock: {cidr: 10.0.0.12/32}}] or a namespaceSelector), or networkPolicy.enabled=false" }}
{{- end }}
{{- if not $v.rocketmq.networkPeers }}
{{- fail "networkPolicy.enabled denies all egress but what is listed: set rocketmq.networkPeers to where the RocketMQ proxy runs (e.g. [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: rocketmq}}}]), or networkPolicy.enabled=false" }}
{{- end }}
{{- if and $v.keycloak.issuer (not $v.keycloak.networkPeers) }}
{{- fail "networkPolicy.enabled: keycloak.issuer is set, so set keycloak.networkPeers to where Keycloak runs (UMCA fetches its discovery document and keys)" }}
{{- end }}
{{- if and $v.phoenix.otlpEndpoint (not $v.phoenix.networkPeers) }}
{{- fail "networkPolicy.enabled: phoenix.otlpEndpoint is set, so set phoenix.networkPeers to where Phoenix runs" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Environment both `umca serve` and `umca worker` read. */}}
{{- define "umca.commonEnv" -}}
- name: UMCA_DATA_DIR
  value: /var/lib/umca
- name: UMCA_CACHE_DIR
  value: /var/lib/umca/cache
- name: HOME
  value: /var/lib/umca
- name: UMCA_LOG_FORMAT
  value: json
- name: UMCA_BUS
  value: {{ printf "rocketmq://%s" .Values.rocketmq.endpoint | quote }}
- name: UMCA_TRACING
  value: {{ .Values.orchestrator.tracing | quote }}
{{- with .Values.phoenix.otlpEndpoint }}
- name: UMCA_OTLP_ENDPOINT
  value: {{ . | quote }}
- name: UMCA_TRACE_PROJECT
  value: {{ $.Values.phoenix.project | quote }}
{{- end }}
{{- if .Values.containerLane.enabled }}
- name: UMCA_CONTAINER_LANE
  value: "1"
{{- end }}
{{- end }}

{{/* Volumes every UMCA pod has: a writable data directory and /tmp, as the root file system is read-only. */}}
{{- define "umca.dataVolumes" -}}
- name: data
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{- end }}

{{- define "umca.dataMounts" -}}
- name: data
  mountPath: /var/lib/umca
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* The checksum of what the pods read at start, so a change rolls them. */}}
{{- define "umca.configChecksum" -}}
{{- $secret := dict "postgres" .Values.postgres.url "env" .Values.secrets.env "keys" .Values.localTokens }}
{{- $config := dict "policy" .Values.orchestrator.policy "mcp" .Values.orchestrator.mcpServers }}
{{- list $secret $config | toJson | sha256sum }}
{{- end }}

{{/* The Host header values the orchestrator answers to: its Service's names, the Ingress hosts, and any listed. */}}
{{- define "umca.allowedHosts" -}}
{{- $svc := printf "%s-orchestrator" (include "umca.fullname" .) }}
{{- $port := .Values.orchestrator.port }}
{{- $hosts := list (printf "%s:%v" $svc $port) (printf "%s.%s:%v" $svc .Release.Namespace $port) (printf "%s.%s.svc:%v" $svc .Release.Namespace $port) (printf "%s.%s.svc.%s:%v" $svc .Release.Namespace .Values.clusterDomain $port) }}
{{- if .Values.ingress.enabled }}
{{- range .Values.ingress.hosts }}
{{- $hosts = append $hosts .host }}
{{- end }}
{{- end }}
{{- join "," (concat $hosts .Values.orchestrator.allowedHosts) }}
{{- end }}

{{/* Egress rules the orchestrator and the workers share: DNS, PostgreSQL, RocketMQ, Phoenix. */}}
{{- define "umca.egressBase" -}}
{{- $v := .Values }}
# Cluster DNS.
- to:
    {{- toYaml $v.networkPolicy.dns.to | nindent 4 }}
  ports:
    {{- toYaml $v.networkPolicy.dns.ports | nindent 4 }}
# PostgreSQL, the store.
- to:
    {{- toYaml $v.postgres.networkPeers | nindent 4 }}
  ports:
    - { protocol: TCP, port: {{ $v.postgres.port }} }
# The RocketMQ proxy (gRPC), the bus and the work queue.
- to:
    {{- toYaml $v.rocketmq.networkPeers | nindent 4 }}
  ports:
    - { protocol: TCP, port: {{ last (splitList ":" $v.rocketmq.endpoint) }} }
{{- with $v.phoenix.otlpEndpoint }}
# Phoenix (OTLP/HTTP), where spans go.
- to:
    {{- toYaml $v.phoenix.networkPeers | nindent 4 }}
  ports:
    - { protocol: TCP, port: {{ default (include "umca.urlPort" .) $v.phoenix.port }} }
{{- end }}
{{- end }}
