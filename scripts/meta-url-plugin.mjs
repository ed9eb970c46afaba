// An esbuild plugin for bundling pmx's sources into CommonJS: each file's `import.meta.url` becomes
// `__pmxUrl("<its path as .js, from the project root>")`, a function the bundle's banner defines
// (where that file is, or stands in for it, at run time); `createRequire(import.meta.url)('x')` is
// bundled as `require('x')`.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** The plugin for sources under `root`. */
export function metaUrlPlugin(root) {
  return {
    name: 'pmx-meta-url',
    setup(builder) {
      builder.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes('node_modules')) return undefined;
        let contents = readFileSync(args.path, 'utf8');
        if (!contents.includes('import.meta.url')) return undefined;
        const asJs = relative(root, args.path).split('\\').join('/').replace(/\.ts$/, '.js');
        contents = contents.replace(/createRequire\(import\.meta\.url\)\((['"])([^'"]+)\1\)/g, 'require($1$2$1)');
        contents = contents.replaceAll('import.meta.url', `__pmxUrl(${JSON.stringify(asJs)})`);
        return { contents, loader: 'ts' };
      });
    },
  };
}
