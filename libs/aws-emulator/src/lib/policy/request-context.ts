/**
 * The request context a policy is evaluated against: condition keys (lower-cased, since IAM
 * compares key names case-insensitively) to their values. Single-valued keys hold one value;
 * multivalued keys (`aws:TagKeys`, `sts:TransitiveTagKeys`, `<provider>:amr`) hold several.
 */
export type RequestContext = Map<string, string[]>;

export class ContextBuilder {
  private readonly context: RequestContext = new Map();

  set(key: string, value: string | null | undefined): this {
    if (value !== null && value !== undefined) this.context.set(key.toLowerCase(), [value]);
    return this;
  }

  setMany(key: string, values: readonly string[] | null | undefined): this {
    if (values) this.context.set(key.toLowerCase(), [...values]);
    return this;
  }

  tags(prefix: string, tags: Readonly<Record<string, string>>): this {
    for (const [k, v] of Object.entries(tags)) this.set(`${prefix}/${k}`, v);
    return this;
  }

  build(): RequestContext {
    return this.context;
  }
}
