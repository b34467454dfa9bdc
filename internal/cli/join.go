package cli

import (
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/pipeline"
	"github.com/platformc/platformc/internal/preview"
	"github.com/platformc/platformc/internal/render"
)

type joinFlags struct {
	commonFlags
	context string
}

// joinCluster is what the --context template reads.
type joinCluster struct {
	Name         string
	Server       string
	Env          string
	ControlPlane string
	Labels       map[string]string
}

func newJoinCmd() *cobra.Command {
	var f joinFlags
	cmd := &cobra.Command{
		Use:   "join [PATTERN...] [--context TEMPLATE]",
		Short: "Print the argocd cluster add commands that register the selected clusters",
		Long: `Join prints, for teams that register clusters with the argocd CLI rather
than by applying the Secrets build writes, one command per selected cluster:

  argocd cluster add CONTEXT --name CLUSTER --label KEY=VALUE ... --upsert

with the labels of the cluster's registration Secret, sorted (env, one
<bundle>=enabled per enabled bundle, the cluster's own labels), so that the
ApplicationSets select it exactly as they would the Secret. The commands are
grouped under a "# control plane NAME" comment: run each group logged in to
that control plane's ArgoCD (argocd login). Words are quoted for a POSIX
shell where needed.

--context is the kubeconfig context of the cluster, a Go template over
.Name, .Server, .Env, .ControlPlane and .Labels (e.g. {{index .Labels "team"}});
it defaults to the cluster's name.

` + patternHelp + `

Exit status: 0 printed, 1 errors in the platform, 2 wrong command line
(a --context that does not parse or names a field that does not exist).`,
		Example: `  platformc join ./clusters/prod/... | sh                      # register the production clusters
  platformc join --context 'tkc-{{.Env}}-{{.Name}}'           # contexts named tkc-<env>-<cluster>`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runJoin(cmd, args, &f)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&f.context, "context", "{{.Name}}", "kubeconfig context of each cluster, a Go template over .Name, .Server, .Env, .ControlPlane, .Labels")
	return cmd
}

func runJoin(cmd *cobra.Command, patterns []string, f *joinFlags) error {
	tmpl, err := template.New("context").Option("missingkey=error").Parse(f.context)
	if err != nil {
		return usageErr(fmt.Errorf("--context: %w", err))
	}
	c, err := compile(cmd, &f.commonFlags, pipeline.Options{Patterns: patterns, Placeholders: true})
	if err != nil {
		return err
	}
	// The commands are made from the registration Secrets build writes, so
	// they carry the very labels the ApplicationSets select on.
	cps, err := preview.Read(c.Files, c.Platform.Defaults.ArgoCD.Namespace)
	if err != nil {
		return &exitError{code: ExitPlatform, msg: "join: " + err.Error()}
	}
	var out strings.Builder
	n := 0
	for _, cp := range cps {
		if len(cp.Clusters) == 0 {
			continue
		}
		fmt.Fprintf(&out, "# control plane %s\n", cp.Name)
		for _, cl := range cp.Clusters {
			var ctx strings.Builder
			err := tmpl.Execute(&ctx, joinCluster{
				Name: cl.Name, Server: cl.Server, Env: cl.Labels["env"], ControlPlane: cp.Name, Labels: cl.Labels,
			})
			if err != nil {
				return usageErr(fmt.Errorf("--context: %w", err))
			}
			if ctx.Len() == 0 {
				return usageErr(fmt.Errorf("--context %q: empty for cluster %q", f.context, cl.Name))
			}
			out.WriteString(joinCommand(ctx.String(), cl))
			n++
		}
	}
	if _, err := io.WriteString(cmd.OutOrStdout(), out.String()); err != nil {
		return err
	}
	if !f.quiet {
		fmt.Fprintf(cmd.ErrOrStderr(), "join: %d cluster%s\n", n, plural(n))
	}
	return nil
}

// joinCommand is the argocd cluster add command for one cluster: its
// registration labels but ArgoCD's own secret-type label, which the CLI
// sets itself, sorted by key.
func joinCommand(context string, cl preview.Cluster) string {
	words := []string{"argocd", "cluster", "add", shellQuote(context), "--name", shellQuote(cl.Name)}
	for _, k := range slices.Sorted(maps.Keys(cl.Labels)) {
		if k == render.SecretTypeLabel {
			continue
		}
		words = append(words, "--label", shellQuote(k+"="+cl.Labels[k]))
	}
	words = append(words, "--upsert")
	return strings.Join(words, " ") + "\n"
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote makes s one word for a POSIX shell: as it is if it holds only
// characters no shell treats specially, else in single quotes (a single
// quote inside written as '\”).
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
