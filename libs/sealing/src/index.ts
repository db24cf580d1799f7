export * from './lib/sealing.constants';
export * from './lib/sealing-key-pair.generator';
export * from './lib/rotating-key-pair';
export * from './lib/seal.encryptor';
export * from './lib/open.decryptor';
