// Package schema embeds the CUE schema of the platform model, so that
// platformc can write it into new or generated platforms.
package schema

import "embed"

// FS holds the schema's .cue files.
//
//go:embed *.cue
var FS embed.FS

// Version is #SchemaVersion of the embedded schema (version.cue), the
// version a platform's schema/ must have. A test keeps the two equal.
const Version = "v3"
