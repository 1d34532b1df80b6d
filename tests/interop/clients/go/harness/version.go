package harness

import "runtime/debug"

// ModuleVersion is the version of the module at path that this program was
// built with, read from the build information Go embeds in module builds. A
// GOPATH build (Debian's old libraries) has none: it returns fallback, which
// the program's build-tagged file pins to the Debian package's version.
func ModuleVersion(path, fallback string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return fallback
	}
	for _, dep := range info.Deps {
		if dep.Path == path {
			if dep.Replace != nil {
				return dep.Replace.Version
			}
			return dep.Version
		}
	}
	return fallback
}
