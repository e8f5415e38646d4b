package web

import "html/template"

const style = `<style>
body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}
.bar{background:#f3f3f3;padding:.5em .8em;border-radius:4px}
.inject{border-left:4px solid #999;padding:.2em .8em;margin:.8em 0}
.kind-alert,.kind-page{border-color:#c62828}.kind-user-report{border-color:#ef6c00}
.kind-graph{border-color:#1565c0}.kind-chat{border-color:#2e7d32}.kind-log{border-color:#555}
.kind-cause,.kind-fix{border-color:#6a1b9a}
.at{color:#666;font-size:.9em}pre{background:#f6f6f6;padding:.5em;overflow-x:auto}
img{max-width:100%}table{border-collapse:collapse}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left}
button{font-size:1em;padding:.3em 1em}
</style>`

var traineePage = template.Must(template.New("trainee").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<base href="{{.Base}}">
{{if .Refresh}}<meta http-equiv="refresh" content="15">{{end}}
<title>{{.Lab.Title}} — vlab</title>` + style + `</head><body>
<h1>{{.Lab.Title}}</h1>
<div class="bar" id="attempt">Instance <b>{{.ID}}</b>{{if .Attempt}} · attempt {{.Attempt}}, started <b>{{.Since}}</b> ago{{end}}
{{if .LastCheck}} · last check: {{.LastCheck}}{{else}} · no check yet (<code>vlab check</code>){{end}}
{{if .Mitigated}} · users served again after {{.Mitigated}}{{end}}{{if .Resolved}} · <b>resolved</b> after {{.Resolved}}{{end}}</div>
{{.Summary}}
<h2>What has happened so far</h2>
{{if not .Injects}}<p>Nothing revealed yet.</p>{{end}}
{{range .Injects}}<div class="inject kind-{{.Kind}}" id="inject-{{.N}}">
<div class="at">{{.N}}/{{.Of}} · {{.Kind}} · {{.At}}</div>
<b>{{.Title}}</b>
{{.Body}}
{{if .Picture}}<img src="{{.Picture}}" alt="{{.Title}}">{{end}}
{{if .LiveOK}}<pre>{{.Live}}</pre>{{else if .LiveCommand}}<p><a href="inject/{{.N}}?token={{$.Token}}">Show its output now</a></p>{{end}}
</div>{{end}}
{{with .Note}}<p class="bar">{{.}}</p>{{end}}
{{if .Confirm}}<form method="post" action="reveal" class="bar" id="confirm">
<p>The next inject ({{.Confirm.Kind}}: <b>{{.Confirm.Title}}</b>) gives away the answer. Reveal it?</p>
<input type="hidden" name="token" value="{{.Token}}"><input type="hidden" name="confirm" value="yes">
<button type="submit">Yes, reveal it</button> <a href=".">Not yet</a></form>
{{else if .Left}}<form method="post" action="reveal" id="next"><input type="hidden" name="token" value="{{.Token}}">
<button type="submit">Reveal the next inject</button> ({{.Left}} left)</form>{{end}}
<h2>The lab's traffic</h2>
<img src="traffic.svg" alt="answers a second by status and p95 latency of the lab's clients" id="traffic">
</body></html>`))

var dashboardPage = template.Must(template.New("dashboard").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="15">
<title>Class: {{.Lab.Title}} — vlab</title>` + style + `</head><body>
<h1>Class: {{.Lab.Title}}</h1>
<p class="bar">{{len .Rows}} trainee(s) · lab <code>{{.Lab.Name}}</code></p>
<table id="room"><tr><th>trainee</th><th>state</th><th>attempt</th><th>since</th><th>injects</th><th>checks</th><th>last check</th><th>mitigated</th><th>resolved</th></tr>
{{range .Rows}}<tr><td><a href="t/{{.Name}}/">{{.Name}}</a></td><td>{{.State}}</td><td>{{.Attempt}}</td><td>{{.Since}}</td><td>{{.Injects}}</td><td>{{.Checks}}</td><td>{{.LastCheck}}</td><td>{{.Mitigated}}</td><td>{{.Resolved}}</td></tr>
{{end}}</table>
<h2>The real incident's timeline</h2>
<table id="timeline"><tr><th>at</th><th>kind</th><th>inject</th></tr>
{{range .Timeline}}<tr><td>{{.At}}</td><td>{{.Kind}}</td><td>{{.Title}}</td></tr>{{end}}
{{with .Outage}}<tr><td colspan="3">{{.}}</td></tr>{{end}}</table>
<h2>Debriefs</h2>
{{range .Debriefs}}<h3 id="debrief-{{.Name}}">{{.Name}}</h3><pre>{{.Text}}</pre>{{end}}
</body></html>`))
