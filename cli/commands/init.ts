// `pmx init [simple]`: writes an ecosystem.config.js template into the current directory.
import { type CommandContext } from './context.js';

export async function init(ctx: CommandContext, simple: boolean): Promise<void> {
  const { writeInitTemplate } = await import('../ecosystem/init.js');
  const file = await writeInitTemplate(process.cwd(), simple);
  ctx.out.write(`[PMX] File ${file} generated\n`);
}
