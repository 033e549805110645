export const defaultName = 'world';
