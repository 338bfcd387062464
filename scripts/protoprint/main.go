// Command protoprint writes .proto source text for files of a FileDescriptorSet.
//
// buf/validate/validate.proto ships in no installed package as source, only compiled (inside
// @bufbuild/protovalidate). scripts/protodeps.sh rebuilds its descriptor set and runs this tool to
// print it back to .proto text under build/protodeps, an ignored folder that buf.yaml lists as a
// module, so that plain `buf lint` and `buf build` resolve the import.
//
//	protoprint SET.binpb OUT_DIR FILE.proto...
package main

import (
	"fmt"
	"os"

	"github.com/jhump/protoreflect/desc"
	"github.com/jhump/protoreflect/desc/protoprint"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: protoprint SET.binpb OUT_DIR FILE.proto...")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3:]); err != nil {
		fmt.Fprintln(os.Stderr, "protoprint:", err)
		os.Exit(1)
	}
}

func run(setPath, outDir string, names []string) error {
	data, err := os.ReadFile(setPath)
	if err != nil {
		return err
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(data, &set); err != nil {
		return fmt.Errorf("%s: %w", setPath, err)
	}
	files, err := desc.CreateFileDescriptorsFromSet(&set)
	if err != nil {
		return err
	}
	selected := make([]*desc.FileDescriptor, 0, len(names))
	for _, name := range names {
		fd, ok := files[name]
		if !ok {
			return fmt.Errorf("%s is not in %s", name, setPath)
		}
		selected = append(selected, fd)
	}
	printer := &protoprint.Printer{Compact: true}
	return printer.PrintProtosToFileSystem(selected, outDir)
}
