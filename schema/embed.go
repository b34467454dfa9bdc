// Package schema embeds the CUE schema of the platform model, so that
// platformc can write it into new or generated platforms.
package schema

import "embed"

// FS holds the schema's .cue files.
//
//go:embed *.cue
var FS embed.FS
